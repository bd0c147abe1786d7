/**
 * `@meshwork/xds`: the xDS v3 codec (Envoy JSON ⇄ protobuf), the ADS server the control plane
 * runs and the ADS client the proxy runs.
 */
export {
  type AnyMessage,
  decodeAny,
  decodeMessage,
  encodeAny,
  encodeMessage,
  normalize,
} from './codec/any.js';
export { formatDuration, parseDuration } from './codec/duration.js';
export { fromEnvoyJson, type JsonObject } from './codec/from-json.js';
export { toEnvoyJson } from './codec/to-json.js';
export { XdsCodecError, XdsError, type XdsErrorCode, XdsUnknownTypeError } from './errors.js';
export {
  loadXdsProtoFiles,
  lookupMessageType,
  XDS_PROTO_FILES,
  xdsProtoIncludeDirs,
  xdsProtoLoadMs,
  xdsRoot,
} from './protos.js';
export {
  isWildcardType,
  resourceNameOf,
  TYPE_URL_PREFIX,
  TYPE_URLS,
  type TypeAlias,
  toTypeName,
  toTypeUrl,
} from './type-urls.js';
