/**
 * `@meshwork/proxy`: the data plane. Listener → HTTP connection manager → HTTP filters →
 * router → cluster → endpoint, configured with Envoy v3 resources.
 */
export {
  type AccessLogEntry,
  type AccessLogSink,
  FileAccessLog,
  MemoryAccessLog,
} from './access-log/access-log.js';
export { AdminServer } from './admin/admin-server.js';
export { ProxyConfigError, ProxyError, type ProxyErrorCode } from './errors.js';
export * from './filters/index.js';
export type { ActiveStream } from './http/active-stream.js';
export type { ProxyRuntime, RequestHook } from './http/connection-manager.js';
export type { BodyReader, DownstreamStream, StreamCallbacks } from './http/stream.js';
export type { UpstreamCallbacks, UpstreamConnection, UpstreamFailure } from './http/upstream-callbacks.js';
export {
  GrpcStatus,
  grpcLocalReplyStatus,
  httpToGrpcStatus,
  isGrpcRequest,
} from './http2/grpc-local-reply.js';
export { Http2ConnectionPool } from './http2/http2-connection-pool.js';
export { type ProxyOptions, ProxyServer } from './proxy.js';
export { normalizePath, type PathNormalization } from './router/path-normalize.js';
export { compileRouteConfig, matchRequest, type RouteTable } from './router/route-config.js';
export { StatsStore } from './stats/stats.js';
export type { CommonTlsContext, PeerSan, SanType } from './tls/common-tls-context.js';
export {
  compileDownstreamTlsContext,
  compileDownstreamTransportSocket,
  type DownstreamTlsConfig,
} from './tls/downstream-tls-context.js';
export { type PeerIdentity, parseSubjectAltName, peerIdentity } from './tls/peer-identity.js';
export { ServerNameIndex } from './tls/server-name-index.js';
export { type TlsChain, type TlsRejection, type TlsSession, TlsTerminator } from './tls/tls-terminator.js';
export {
  compileUpstreamTlsContext,
  compileUpstreamTransportSocket,
  connectUpstreamTls,
  type UpstreamTlsConfig,
} from './tls/upstream-tls-context.js';
export { ClusterManager } from './upstream/cluster-manager.js';
export type * from './upstream/types.js';
export type { AdsSource, AdsSourceEvents, AdsSourceOptions } from './xds/ads-source.js';
export { type Bootstrap, compileBootstrap, loadBootstrap, parseBootstrap } from './xds/bootstrap.js';
export { ConfigStore } from './xds/config-store.js';
export { type ProxyIdentity, proxyNode, type XdsNodeJson } from './xds/node-identity.js';
export { adsAddressOf, startXdsProxy, type XdsProxy, type XdsProxyOptions } from './xds/xds-proxy.js';
