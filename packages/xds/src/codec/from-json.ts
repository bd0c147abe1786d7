import protobuf from 'protobufjs';
import { XdsCodecError } from '../errors.js';
import { lookupMessageType } from '../protos.js';
import { toTypeName } from '../type-urls.js';
import { jsonFieldIndex } from './field-index.js';
import { describe, parseScalar } from './scalars.js';
import { parseWellKnown } from './well-known-from-json.js';

/** A JSON object as the codec reads it. */
export type JsonObject = Record<string, unknown>;

/** Joins a field onto a path: `static_resources` + `clusters` → `static_resources.clusters`. */
export function joinPath(path: string, name: string): string {
  return path ? `${path}.${name}` : name;
}

/** Whether a value is a JSON object (not null, not an array). */
export function isPlainObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Parses Envoy JSON (proto3 JSON mapping; snake_case or lowerCamelCase field names) into a
 * protobufjs message of the given type. Unknown fields, bad enum names, malformed durations and
 * type mismatches throw {@link XdsCodecError} (`MESH_ERR_XDS_INVALID`) naming the field path.
 *
 * @param typeName message name, type URL or alias (`cds`)
 * @param path prefix for error paths, e.g. `static_resources.clusters[0]`
 * @example fromEnvoyJson('cds', { name: 'web', connect_timeout: '0.25s', type: 'EDS' })
 */
export function fromEnvoyJson(typeName: string, json: unknown, path = ''): protobuf.Message {
  const type = lookupMessageType(toTypeName(typeName), path);
  return parseMessage(type, json, path);
}

/** Parses JSON into a message of `type` (well-known types use their special JSON forms). */
export function parseMessage(type: protobuf.Type, json: unknown, path: string): protobuf.Message {
  if (type.fullName.startsWith('.google.protobuf.')) {
    const special = parseWellKnown(type, json, path);
    if (special) return special;
  }
  if (!isPlainObject(json)) {
    throw new XdsCodecError(path, `expected an object (${type.fullName.slice(1)}), got ${describe(json)}`);
  }
  const fields = jsonFieldIndex(type);
  const message = type.create() as unknown as JsonObject;
  // The generated constructor pre-creates repeated and map fields, so presence is tracked here.
  const seen = new Set<protobuf.Field>();
  for (const key of Object.keys(json)) {
    const field = fields.get(key);
    if (!field) {
      throw new XdsCodecError(joinPath(path, key), `unknown field "${key}" in ${type.fullName.slice(1)}`);
    }
    const fieldPath = joinPath(path, field.name);
    const value = json[key];
    // undefined (a JS-side "not set") and proto3 JSON's null both mean absent, except where
    // null is itself a value.
    if (value === undefined || (value === null && !acceptsNull(field))) continue;
    if (seen.has(field)) throw new XdsCodecError(fieldPath, 'field given twice');
    if (field.partOf) checkOneof(field, seen, fieldPath);
    seen.add(field);
    message[field.name] = parseField(field, value, fieldPath);
  }
  return message as unknown as protobuf.Message;
}

// proto3 JSON: null means "not set", except where null is itself a value.
function acceptsNull(field: protobuf.Field): boolean {
  const name = field.resolvedType?.fullName;
  return name === '.google.protobuf.Value' || name === '.google.protobuf.NullValue';
}

function checkOneof(field: protobuf.Field, seen: Set<protobuf.Field>, path: string): void {
  const oneof = field.partOf!;
  for (const other of oneof.fieldsArray) {
    if (other !== field && seen.has(other)) {
      throw new XdsCodecError(
        path,
        `"${field.name}" and "${other.name}" are both set but belong to the same oneof "${oneof.name}"`,
      );
    }
  }
}

function parseField(field: protobuf.Field, value: unknown, path: string): unknown {
  if (field.map) return parseMap(field as unknown as protobuf.MapField, value, path);
  if (field.repeated) {
    if (!Array.isArray(value)) throw new XdsCodecError(path, `expected an array, got ${describe(value)}`);
    const out = new Array(value.length);
    for (let i = 0; i < value.length; i++) out[i] = parseSingle(field, value[i], `${path}[${i}]`);
    return out;
  }
  return parseSingle(field, value, path);
}

function parseMap(field: protobuf.MapField, value: unknown, path: string): JsonObject {
  if (!isPlainObject(value))
    throw new XdsCodecError(path, `expected an object (map), got ${describe(value)}`);
  const out: JsonObject = {};
  for (const key of Object.keys(value)) {
    const entryPath = `${path}[${JSON.stringify(key)}]`;
    if (field.keyType === 'bool') {
      if (key !== 'true' && key !== 'false') throw new XdsCodecError(entryPath, 'expected a boolean map key');
    } else if (field.keyType !== 'string') {
      parseScalar(field.keyType, key, entryPath);
    }
    out[key] = parseSingle(field, value[key], entryPath);
  }
  return out;
}

/** Parses one value of a (non-repeated view of a) field. */
export function parseSingle(field: protobuf.FieldBase, value: unknown, path: string): unknown {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Type) return parseMessage(resolved, value, path);
  if (resolved instanceof protobuf.Enum) return parseEnum(resolved, value, path);
  if (value === null) throw new XdsCodecError(path, `expected ${field.type}, got null`);
  return parseScalar(field.type, value, path);
}

/** Parses an enum given by name (or by number, which proto3 JSON also allows). */
export function parseEnum(enumType: protobuf.Enum, value: unknown, path: string): number {
  if (value === null && enumType.fullName === '.google.protobuf.NullValue') return 0;
  if (typeof value === 'string') {
    const number = enumType.values[value];
    if (number !== undefined) return number;
    const allowed = Object.keys(enumType.values).join(', ');
    throw new XdsCodecError(
      path,
      `invalid enum value ${JSON.stringify(value)} for ${enumType.fullName.slice(1)} (expected one of ${allowed})`,
    );
  }
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  throw new XdsCodecError(
    path,
    `expected an enum name (${enumType.fullName.slice(1)}), got ${describe(value)}`,
  );
}

/** Parses a `google.protobuf.Any` in JSON form: `{ "@type": url, ...fields }`. */
export function parseAny(type: protobuf.Type, json: unknown, path: string): protobuf.Message {
  if (!isPlainObject(json)) throw new XdsCodecError(path, `expected an Any object, got ${describe(json)}`);
  const typeUrl = json['@type'];
  if (typeUrl === undefined && Object.keys(json).length === 0) return type.create();
  if (typeof typeUrl !== 'string' || typeUrl === '') {
    throw new XdsCodecError(joinPath(path, '@type'), 'an Any needs a "@type" naming its message type');
  }
  if ('@value' in json) return parseOpaqueAny(type, json, typeUrl, path);
  const inner = lookupMessageType(toTypeName(typeUrl), joinPath(path, '@type'));
  let message: protobuf.Message;
  if (inner.fullName.startsWith('.google.protobuf.') && hasSpecialJson(inner)) {
    const keys = Object.keys(json).filter((k) => k !== '@type' && k !== 'value');
    if (keys.length > 0)
      throw new XdsCodecError(joinPath(path, keys[0]), `unknown field "${keys[0]}" in Any`);
    message = parseMessage(inner, json.value, joinPath(path, 'value'));
  } else {
    const { '@type': _omit, ...fields } = json;
    message = parseMessage(inner, fields, path);
  }
  return type.create({ type_url: typeUrl, value: inner.encode(message).finish() });
}

// `{ "@type", "@value": base64 }`: an Any kept packed by `opaqueUnknownAny`; repacked as is.
function parseOpaqueAny(
  type: protobuf.Type,
  json: JsonObject,
  typeUrl: string,
  path: string,
): protobuf.Message {
  const extra = Object.keys(json).find((k) => k !== '@type' && k !== '@value');
  if (extra)
    throw new XdsCodecError(joinPath(path, extra), 'an opaque Any carries only "@type" and "@value"');
  const value = parseScalar('bytes', json['@value'], joinPath(path, '@value'));
  return type.create({ type_url: typeUrl, value });
}

const SPECIAL_JSON = new Set([
  '.google.protobuf.Duration',
  '.google.protobuf.Timestamp',
  '.google.protobuf.FieldMask',
  '.google.protobuf.Struct',
  '.google.protobuf.Value',
  '.google.protobuf.ListValue',
  '.google.protobuf.DoubleValue',
  '.google.protobuf.FloatValue',
  '.google.protobuf.Int64Value',
  '.google.protobuf.UInt64Value',
  '.google.protobuf.Int32Value',
  '.google.protobuf.UInt32Value',
  '.google.protobuf.BoolValue',
  '.google.protobuf.StringValue',
  '.google.protobuf.BytesValue',
]);

/** Whether a well-known type has a non-object JSON form (and so sits under `value` in an Any). */
export function hasSpecialJson(type: protobuf.Type): boolean {
  return SPECIAL_JSON.has(type.fullName);
}
