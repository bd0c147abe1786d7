import type protobuf from 'protobufjs';

const indexCache = new WeakMap<protobuf.Type, Map<string, protobuf.Field>>();

/** proto3's JSON name of a field: `connect_timeout` → `connectTimeout`. */
export function lowerCamel(name: string): string {
  let out = '';
  let upper = false;
  for (const ch of name) {
    if (ch === '_') upper = true;
    else {
      out += upper ? ch.toUpperCase() : ch;
      upper = false;
    }
  }
  return out;
}

/** Inverse of {@link lowerCamel} for field-mask paths: `connectTimeout` → `connect_timeout`. */
export function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (ch) => `_${ch.toLowerCase()}`);
}

/**
 * The fields of a message by every name proto3 JSON accepts for them (the proto name and the
 * lowerCamelCase JSON name), built once per type.
 */
export function jsonFieldIndex(type: protobuf.Type): Map<string, protobuf.Field> {
  let index = indexCache.get(type);
  if (index) return index;
  index = new Map();
  for (const field of type.fieldsArray) {
    index.set(field.name, field);
    const jsonName = (field.options?.json_name as string | undefined) ?? lowerCamel(field.name);
    if (!index.has(jsonName)) index.set(jsonName, field);
  }
  indexCache.set(type, index);
  return index;
}

/**
 * The field of `type` with proto field number `id`. protobufjs bundles some well-known types
 * with camelCase names (`google.protobuf.Value`), so those are addressed by number, not name.
 */
export function fieldById(type: protobuf.Type, id: number): protobuf.Field {
  return type.fieldsById[id];
}
