/**
 * `@meshwork/xds`: the xDS v3 codec (Envoy JSON ⇄ protobuf), the ADS server the control plane
 * runs and the ADS client the proxy runs.
 */

export { AdsClient } from './client/ads-client.js';
export { Backoff, type BackoffOptions } from './client/backoff.js';
export { adsClientOptionsFromBootstrap } from './client/bootstrap-options.js';
export type { AdsClientEvents, AdsClientOptions, ClientNackEvent } from './client/client-options.js';
export { edsNamesOf, routeNamesOf } from './client/references.js';
export { accept, reject, type UpdateHandler, type UpdateVerdict, type XdsUpdate } from './client/update.js';
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
export { type FormatOptions, toEnvoyJson } from './codec/to-json.js';
export { XdsCodecError, XdsError, type XdsErrorCode, XdsUnknownTypeError } from './errors.js';
export {
  ADS_DELTA_METHOD,
  ADS_SOTW_METHOD,
  adsServiceDefinition,
  type DeltaDiscoveryRequest,
  type DeltaDiscoveryResponse,
  type DeltaResource,
  type DiscoveryRequest,
  type DiscoveryResponse,
  type XdsErrorDetail,
  type XdsNode,
} from './protocol/messages.js';
export {
  loadXdsProtoFiles,
  lookupMessageType,
  XDS_PROTO_FILES,
  xdsProtoIncludeDirs,
  xdsProtoLoadMs,
  xdsRoot,
} from './protos.js';
export {
  type GrpcXdsBootstrapOptions,
  grpcXdsBootstrap,
  type ProxylessEndpoint,
  type ProxylessService,
  proxylessGrpcSnapshot,
} from './proxyless.js';
export {
  type ProxylessProbeOptions,
  type ProxylessProbeResult,
  probeProxylessGrpc,
} from './proxyless-probe.js';
export {
  AdsServer,
  type AdsServerOptions,
  type SnapshotResolver,
  type StreamInfo,
  type StreamPeer,
} from './server/ads-server.js';
export { type ClientStatusSource, clientStatus, type NodeIdMatcher } from './server/client-status.js';
export { addCsdsService } from './server/csds.js';
export type {
  AckEvent,
  AdsServerEvents,
  ConnectEvent,
  CurrentEvent,
  DisconnectEvent,
  NackEvent,
  PushEvent,
  StreamEventBase,
} from './server/events.js';
export {
  type PreparedResource,
  type PreparedTypeSnapshot,
  type ResourceInput,
  type SnapshotInput,
  type TypeSnapshotInput,
  XdsSnapshot,
} from './server/snapshot.js';
export type { StreamTypeStatus } from './server/stream-host.js';
export {
  inPushOrder,
  isWildcardType,
  PUSH_ORDER,
  resourceNameOf,
  TYPE_URL_PREFIX,
  TYPE_URLS,
  type TypeAlias,
  toTypeName,
  toTypeUrl,
} from './type-urls.js';
