import { XdsCodecError } from '../errors.js';
import { lookupMessageType } from '../protos.js';
import { toTypeName, toTypeUrl } from '../type-urls.js';
import { fromEnvoyJson, isPlainObject, type JsonObject } from './from-json.js';
import { type FormatOptions, formatMessage, toEnvoyJson, withOptions } from './to-json.js';

/** A `google.protobuf.Any` as it travels on the wire: a type URL and the encoded message. */
export interface AnyMessage {
  type_url: string;
  value: Uint8Array;
}

/**
 * Validates and canonicalises Envoy JSON: parse against the proto, then format back. The
 * result uses snake_case names and canonical values; any schema error throws
 * {@link XdsCodecError} naming the field path.
 *
 * @example normalize('cds', { name: 'a', connectTimeout: '1.500s' }) // { name: 'a', connect_timeout: '1.5s' }
 */
export function normalize(typeName: string, json: unknown, path = ''): JsonObject {
  return toEnvoyJson(typeName, fromEnvoyJson(typeName, json, path));
}

/** Encodes Envoy JSON to protobuf bytes of the given message type. */
export function encodeMessage(typeName: string, json: unknown, path = ''): Uint8Array {
  const type = lookupMessageType(toTypeName(typeName), path);
  return type.encode(fromEnvoyJson(typeName, json, path)).finish();
}

/** Decodes protobuf bytes of the given message type to Envoy JSON. */
export function decodeMessage(typeName: string, bytes: Uint8Array): JsonObject {
  const type = lookupMessageType(toTypeName(typeName));
  return formatMessage(type, type.decode(bytes)) as JsonObject;
}

/**
 * Packs Envoy JSON into an Any. A `@type` key in the JSON, if present, must match `typeUrl`
 * and is dropped.
 *
 * @param typeUrl type URL or alias (`eds`)
 */
export function encodeAny(typeUrl: string, json: unknown): AnyMessage {
  const url = toTypeUrl(typeUrl);
  let body = json;
  if (isPlainObject(json) && '@type' in json) {
    if (toTypeName(String(json['@type'])) !== toTypeName(url)) {
      throw new XdsCodecError('@type', `"${json['@type']}" does not match ${url}`);
    }
    const { '@type': _omit, ...rest } = json;
    body = rest;
  }
  return { type_url: url, value: encodeMessage(url, body) };
}

/**
 * Unpacks an Any into the Envoy JSON of its message (without a `@type` key: the caller knows
 * the type from `type_url`). Unknown types throw `MESH_ERR_XDS_UNKNOWN_TYPE`; undecodable
 * bytes throw `MESH_ERR_XDS_INVALID`.
 */
export function decodeAny(
  any: { type_url: string; value: Uint8Array },
  options: FormatOptions = {},
): JsonObject {
  const type = lookupMessageType(toTypeName(any.type_url));
  let message: unknown;
  try {
    message = type.decode(any.value);
  } catch (err) {
    throw new XdsCodecError('', `cannot decode ${any.type_url}: ${(err as Error).message}`, { cause: err });
  }
  return withOptions(options, () => formatMessage(type, message) as JsonObject);
}
