import protobuf from 'protobufjs';
import { isKnownType, lookupMessageType } from '../protos.js';
import { toTypeName } from '../type-urls.js';
import { formatDurationParts } from './duration.js';
import { fieldById, lowerCamel } from './field-index.js';
import { hasSpecialJson, type JsonObject } from './from-json.js';
import { formatScalar, isScalarDefault } from './scalars.js';

const hasOwn = Object.prototype.hasOwnProperty;

/**
 * Formats a protobufjs message (decoded or built by {@link fromEnvoyJson}) as canonical Envoy
 * JSON: snake_case field names, defaults left out, durations as `"5s"`, wrappers as plain values,
 * enums by name, Any as `{ "@type": ..., ...fields }` (recursively decoded).
 *
 * @param typeName message name, type URL or alias (`lds`)
 */
export function toEnvoyJson(typeName: string, message: unknown, options: FormatOptions = {}): JsonObject {
  const type = lookupMessageType(toTypeName(typeName));
  return withOptions(options, () => formatMessage(type, message) as JsonObject);
}

/** Options of {@link toEnvoyJson} and `decodeAny`. */
export interface FormatOptions {
  /**
   * Keep an Any whose type no loaded proto defines as `{ "@type": url, "@value": base64 }`
   * instead of throwing `MESH_ERR_XDS_UNKNOWN_TYPE`. `fromEnvoyJson` packs that form back
   * unchanged, so configs can carry extensions this process does not know (Envoy's
   * `is_optional` filters) and the consumer decides what to do with them.
   */
  opaqueUnknownAny?: boolean;
}

// Formatting is synchronous and recursive; the option travels in this slot rather than through
// every helper's signature.
let opaqueUnknownAny = false;

/** Runs `fn` with `options` in force for nested Any formatting. */
export function withOptions<T>(options: FormatOptions, fn: () => T): T {
  const previous = opaqueUnknownAny;
  opaqueUnknownAny = options.opaqueUnknownAny === true;
  try {
    return fn();
  } finally {
    opaqueUnknownAny = previous;
  }
}

/** Formats a message of `type` as proto3 JSON. */
export function formatMessage(type: protobuf.Type, message: unknown): unknown {
  if (type.fullName.startsWith('.google.protobuf.')) {
    const special = formatWellKnown(type, message as JsonObject);
    if (special !== undefined) return special;
  }
  const source = message as JsonObject;
  const out: JsonObject = {};
  for (const field of type.fieldsArray) {
    const value = source[field.name];
    if (value === undefined || value === null) continue;
    if (field.map) {
      const keys = Object.keys(value as JsonObject);
      if (keys.length === 0) continue;
      const map: JsonObject = {};
      for (const key of keys) map[key] = formatSingle(field, (value as JsonObject)[key]);
      out[field.name] = map;
    } else if (field.repeated) {
      const items = value as unknown[];
      if (items.length === 0) continue;
      out[field.name] = items.map((item) => formatSingle(field, item));
    } else if (field.partOf) {
      // Oneof members and proto3 `optional` fields have explicit presence: set means emitted.
      if (hasOwn.call(source, field.name)) out[field.name] = formatSingle(field, value);
    } else if (field.resolvedType instanceof protobuf.Type || !isDefault(field, value)) {
      out[field.name] = formatSingle(field, value);
    }
  }
  return out;
}

function isDefault(field: protobuf.Field, value: unknown): boolean {
  if (field.resolvedType instanceof protobuf.Enum)
    return value === 0 || value === enumName(field.resolvedType, 0);
  return isScalarDefault(field.type, value);
}

function enumName(enumType: protobuf.Enum, value: number): string | undefined {
  return enumType.valuesById[value];
}

function formatSingle(field: protobuf.Field, value: unknown): unknown {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Type) return formatMessage(resolved, value);
  if (resolved instanceof protobuf.Enum) {
    if (resolved.fullName === '.google.protobuf.NullValue') return null;
    return typeof value === 'number' ? (enumName(resolved, value) ?? value) : value;
  }
  return formatScalar(field.type, value);
}

function toNumber(value: unknown): number {
  return Number(formatScalar('int64', value ?? 0));
}

function formatWellKnown(type: protobuf.Type, message: JsonObject): unknown {
  switch (type.fullName) {
    case '.google.protobuf.Any':
      return formatAny(message);
    case '.google.protobuf.Duration':
      return formatDurationParts(toNumber(message.seconds), (message.nanos as number) ?? 0);
    case '.google.protobuf.Timestamp':
      return formatTimestamp(toNumber(message.seconds), (message.nanos as number) ?? 0);
    case '.google.protobuf.FieldMask':
      return ((message.paths as string[]) ?? []).map((p) => p.split('.').map(lowerCamel).join('.')).join(',');
    case '.google.protobuf.Struct':
      return formatStruct(type, message);
    case '.google.protobuf.Value':
      return formatValue(type, message);
    case '.google.protobuf.ListValue':
      return formatList(type, message);
    case '.google.protobuf.DoubleValue':
    case '.google.protobuf.FloatValue':
    case '.google.protobuf.Int64Value':
    case '.google.protobuf.UInt64Value':
    case '.google.protobuf.Int32Value':
    case '.google.protobuf.UInt32Value':
    case '.google.protobuf.BoolValue':
    case '.google.protobuf.StringValue':
    case '.google.protobuf.BytesValue': {
      const field = fieldById(type, 1);
      return formatScalar(field.type, message.value ?? field.typeDefault);
    }
    default:
      return undefined;
  }
}

function formatAny(message: JsonObject): JsonObject {
  const typeUrl = message.type_url as string | undefined;
  if (!typeUrl) return {};
  const bytes = (message.value as Uint8Array | undefined) ?? new Uint8Array(0);
  if (opaqueUnknownAny && !isKnownType(toTypeName(typeUrl))) {
    return { '@type': typeUrl, '@value': Buffer.from(bytes).toString('base64') };
  }
  const inner = lookupMessageType(toTypeName(typeUrl));
  const decoded = formatMessage(inner, inner.decode(bytes));
  if (hasSpecialJson(inner)) return { '@type': typeUrl, value: decoded };
  return { '@type': typeUrl, ...(decoded as JsonObject) };
}

function formatTimestamp(seconds: number, nanos: number): string {
  const iso = new Date(seconds * 1000).toISOString().slice(0, 19);
  if (nanos === 0) return `${iso}Z`;
  const digits = String(nanos).padStart(9, '0');
  const trimmed = digits.endsWith('000000')
    ? digits.slice(0, 3)
    : digits.endsWith('000')
      ? digits.slice(0, 6)
      : digits;
  return `${iso}.${trimmed}Z`;
}

function formatStruct(type: protobuf.Type, message: JsonObject): JsonObject {
  const field = fieldById(type, 1);
  const fields = (message[field.name] as JsonObject | undefined) ?? {};
  const out: JsonObject = {};
  for (const key of Object.keys(fields))
    out[key] = formatValue(field.resolvedType as protobuf.Type, fields[key] as JsonObject);
  return out;
}

function formatList(type: protobuf.Type, message: JsonObject): unknown[] {
  const field = fieldById(type, 1);
  return ((message[field.name] as JsonObject[]) ?? []).map((v) =>
    formatValue(field.resolvedType as protobuf.Type, v),
  );
}

// google.protobuf.Value fields by number: 1 null, 2 number, 3 string, 4 bool, 5 struct, 6 list.
function formatValue(type: protobuf.Type, message: JsonObject): unknown {
  for (let id = 2; id <= 6; id++) {
    const field = fieldById(type, id);
    if (!hasOwn.call(message, field.name) || message[field.name] == null) continue;
    const value = message[field.name];
    if (id === 2) return formatScalar('double', value);
    if (id === 5) return formatStruct(field.resolvedType as protobuf.Type, value as JsonObject);
    if (id === 6) return formatList(field.resolvedType as protobuf.Type, value as JsonObject);
    return value;
  }
  return null;
}
