import type protobuf from 'protobufjs';
import { XdsCodecError } from '../errors.js';
import { parseDurationParts } from './duration.js';
import { fieldById, snakeCase } from './field-index.js';
import { isPlainObject, parseAny } from './from-json.js';
import { describe, parseScalar } from './scalars.js';

const TIMESTAMP_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/i;

/**
 * Parses the well-known types whose JSON form is not a plain object of fields (Any, Duration,
 * Timestamp, wrappers, Struct/Value/ListValue, FieldMask). Returns undefined for the others.
 */
export function parseWellKnown(
  type: protobuf.Type,
  json: unknown,
  path: string,
): protobuf.Message | undefined {
  switch (type.fullName) {
    case '.google.protobuf.Any':
      return parseAny(type, json, path);
    case '.google.protobuf.Duration':
      return type.create(parseDurationParts(json, path));
    case '.google.protobuf.Timestamp':
      return type.create(parseTimestamp(json, path));
    case '.google.protobuf.FieldMask':
      return parseFieldMask(type, json, path);
    case '.google.protobuf.Struct':
      return parseStruct(type, json, path);
    case '.google.protobuf.Value':
      return parseValue(type, json, path);
    case '.google.protobuf.ListValue':
      return parseListValue(type, json, path);
    case '.google.protobuf.DoubleValue':
    case '.google.protobuf.FloatValue':
    case '.google.protobuf.Int64Value':
    case '.google.protobuf.UInt64Value':
    case '.google.protobuf.Int32Value':
    case '.google.protobuf.UInt32Value':
    case '.google.protobuf.BoolValue':
    case '.google.protobuf.StringValue':
    case '.google.protobuf.BytesValue':
      return type.create({ value: parseScalar(fieldById(type, 1).type, json, path) });
    default:
      return undefined;
  }
}

function parseTimestamp(json: unknown, path: string): { seconds: number; nanos: number } {
  const match = typeof json === 'string' ? TIMESTAMP_RE.exec(json) : null;
  if (!match) throw new XdsCodecError(path, `invalid timestamp ${JSON.stringify(json)} (expected RFC 3339)`);
  const [, y, mo, d, h, mi, s, frac, zone] = match;
  let millis = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  if (Number.isNaN(millis)) throw new XdsCodecError(path, `invalid timestamp ${JSON.stringify(json)}`);
  if (zone.toUpperCase() !== 'Z') {
    const sign = zone[0] === '-' ? -1 : 1;
    millis -= sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 60_000;
  }
  return { seconds: millis / 1000, nanos: frac ? Number(frac.padEnd(9, '0')) : 0 };
}

function parseFieldMask(type: protobuf.Type, json: unknown, path: string): protobuf.Message {
  if (typeof json !== 'string')
    throw new XdsCodecError(path, `expected a field mask string, got ${describe(json)}`);
  const paths = json === '' ? [] : json.split(',').map((p) => p.split('.').map(snakeCase).join('.'));
  return type.create({ paths });
}

function parseStruct(type: protobuf.Type, json: unknown, path: string): protobuf.Message {
  if (!isPlainObject(json))
    throw new XdsCodecError(path, `expected an object (Struct), got ${describe(json)}`);
  const valueType = fieldById(type, 1).resolvedType as protobuf.Type;
  const fields: Record<string, protobuf.Message> = {};
  for (const key of Object.keys(json)) fields[key] = parseValue(valueType, json[key], `${path}.${key}`);
  return type.create({ [fieldById(type, 1).name]: fields });
}

function parseListValue(type: protobuf.Type, json: unknown, path: string): protobuf.Message {
  if (!Array.isArray(json))
    throw new XdsCodecError(path, `expected an array (ListValue), got ${describe(json)}`);
  const valueType = fieldById(type, 1).resolvedType as protobuf.Type;
  return type.create({
    [fieldById(type, 1).name]: json.map((item, i) => parseValue(valueType, item, `${path}[${i}]`)),
  });
}

// google.protobuf.Value fields by number: 1 null, 2 number, 3 string, 4 bool, 5 struct, 6 list.
function parseValue(type: protobuf.Type, json: unknown, path: string): protobuf.Message {
  const message = type.create() as unknown as Record<string, unknown>;
  let id: number;
  let value: unknown;
  if (json === null) [id, value] = [1, 0];
  else if (typeof json === 'number') [id, value] = [2, json];
  else if (typeof json === 'string') [id, value] = [3, json];
  else if (typeof json === 'boolean') [id, value] = [4, json];
  else if (Array.isArray(json))
    [id, value] = [6, parseListValue(fieldById(type, 6).resolvedType as protobuf.Type, json, path)];
  else if (typeof json === 'object')
    [id, value] = [5, parseStruct(fieldById(type, 5).resolvedType as protobuf.Type, json, path)];
  else throw new XdsCodecError(path, `cannot represent ${describe(json)} as a protobuf Value`);
  message[fieldById(type, id).name] = value;
  return message as unknown as protobuf.Message;
}
