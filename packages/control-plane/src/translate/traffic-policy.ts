/**
 * DestinationRule traffic policies → Envoy cluster fields: load balancing, circuit breakers
 * (connection-pool limits), outlier detection and panic threshold, with Istio's precedence
 * (subset over host, port-level over both).
 */
import { parseDurationMs } from '../resources/duration.js';
import type {
  ConnectionPoolSettings,
  ConsistentHashLB,
  LoadBalancerSettings,
  OutlierDetection,
  PortTrafficPolicy,
  TrafficPolicy,
} from '../resources/istio-networking.js';
import type { DestinationRule } from '../resources/kinds.js';
import { durationJson, type EnvoyJson } from './envoy.js';
import type { PortProtocol } from './model.js';

/** The effective policy of one cluster: fields of the subset win, then port-level settings. */
export interface EffectivePolicy {
  loadBalancer?: LoadBalancerSettings;
  connectionPool?: ConnectionPoolSettings;
  outlierDetection?: OutlierDetection;
}

function portLevel(policy: TrafficPolicy | undefined, port: number): PortTrafficPolicy | undefined {
  return policy?.portLevelSettings?.find((p) => p.port?.number === port);
}

/** Resolves the policy that applies to `port` of the host, optionally within `subsetName`. */
export function effectivePolicy(
  dr: DestinationRule | undefined,
  port: number,
  subsetName?: string,
): EffectivePolicy {
  if (!dr) return {};
  const layers: (TrafficPolicy | PortTrafficPolicy | undefined)[] = [
    dr.spec.trafficPolicy,
    portLevel(dr.spec.trafficPolicy, port),
  ];
  if (subsetName) {
    const subset = dr.spec.subsets?.find((s) => s.name === subsetName);
    layers.push(subset?.trafficPolicy, portLevel(subset?.trafficPolicy, port));
  }
  const out: EffectivePolicy = {};
  for (const layer of layers) {
    if (!layer) continue;
    if (layer.loadBalancer) out.loadBalancer = layer.loadBalancer;
    if (layer.connectionPool) out.connectionPool = layer.connectionPool;
    if (layer.outlierDetection) out.outlierDetection = layer.outlierDetection;
  }
  return out;
}

/**
 * Writes load-balancing fields onto a cluster. Proxyless gRPC understands only round robin and
 * ring hash through `lb_policy`, so other policies degrade to round robin there.
 */
export function applyLoadBalancer(
  cluster: EnvoyJson,
  lb: LoadBalancerSettings | undefined,
  proxyless: boolean,
): void {
  const hash = lb?.consistentHash;
  if (hash) {
    if (hash.maglev && !proxyless) {
      cluster.lb_policy = 'MAGLEV';
      if (hash.maglev.tableSize) cluster.maglev_lb_config = { table_size: hash.maglev.tableSize };
      return;
    }
    cluster.lb_policy = 'RING_HASH';
    const minRing = hash.ringHash?.minimumRingSize ?? hash.minimumRingSize;
    if (minRing) cluster.ring_hash_lb_config = { minimum_ring_size: minRing };
    return;
  }
  switch (lb?.simple) {
    case 'LEAST_REQUEST':
    case 'LEAST_CONN':
      cluster.lb_policy = proxyless ? 'ROUND_ROBIN' : 'LEAST_REQUEST';
      return;
    case 'RANDOM':
      cluster.lb_policy = proxyless ? 'ROUND_ROBIN' : 'RANDOM';
      return;
    default:
      cluster.lb_policy = 'ROUND_ROBIN';
  }
}

/** Envoy route `hash_policy` for a consistent-hash load balancer. */
export function hashPolicy(hash: ConsistentHashLB | undefined): EnvoyJson[] | undefined {
  if (!hash) return undefined;
  if (hash.httpHeaderName) return [{ header: { header_name: hash.httpHeaderName } }];
  if (hash.httpCookie) {
    const cookie: EnvoyJson = { name: hash.httpCookie.name };
    if (hash.httpCookie.path) cookie.path = hash.httpCookie.path;
    const ttlMs = hash.httpCookie.ttl ? parseDurationMs(hash.httpCookie.ttl) : undefined;
    if (ttlMs !== undefined) cookie.ttl = durationJson(ttlMs);
    return [{ cookie }];
  }
  if (hash.useSourceIp) return [{ connection_properties: { source_ip: true } }];
  if (hash.httpQueryParameterName) return [{ query_parameter: { name: hash.httpQueryParameterName } }];
  return undefined;
}

/** Envoy `circuit_breakers` from connection-pool limits; `undefined` when none are set. */
export function circuitBreakers(pool: ConnectionPoolSettings | undefined): EnvoyJson | undefined {
  if (!pool) return undefined;
  const t: EnvoyJson = { priority: 'DEFAULT' };
  if (pool.tcp?.maxConnections !== undefined) t.max_connections = pool.tcp.maxConnections;
  if (pool.http?.http1MaxPendingRequests !== undefined)
    t.max_pending_requests = pool.http.http1MaxPendingRequests;
  if (pool.http?.http2MaxRequests !== undefined) t.max_requests = pool.http.http2MaxRequests;
  if (pool.http?.maxRetries !== undefined) t.max_retries = pool.http.maxRetries;
  return Object.keys(t).length > 1 ? { thresholds: [t] } : undefined;
}

const HTTP_OPTIONS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

/**
 * Envoy `typed_extension_protocol_options` choosing the upstream HTTP protocol: HTTP/2 for gRPC
 * and HTTP/2 ports and for HTTP ports Istio's `h2UpgradePolicy: UPGRADE` upgrades, with the
 * pool's `idleTimeout`, `maxRequestsPerConnection` and `maxConcurrentStreams`; `undefined` for
 * HTTP/1.1 with Envoy's defaults.
 */
export function upstreamProtocolOptions(
  protocol: PortProtocol,
  pool: ConnectionPoolSettings | undefined,
): EnvoyJson | undefined {
  const http = pool?.http;
  const http2 =
    protocol === 'grpc' ||
    protocol === 'http2' ||
    (protocol === 'http' && http?.h2UpgradePolicy === 'UPGRADE');
  const common: EnvoyJson = {};
  const idleMs = http?.idleTimeout ? parseDurationMs(http.idleTimeout) : undefined;
  if (idleMs !== undefined) common.idle_timeout = durationJson(idleMs);
  // Istio: 0 means unlimited, as Envoy's unset field.
  if (http?.maxRequestsPerConnection) common.max_requests_per_connection = http.maxRequestsPerConnection;
  if (!http2 && Object.keys(common).length === 0) return undefined;
  const h2: EnvoyJson = {};
  if (http?.maxConcurrentStreams) h2.max_concurrent_streams = http.maxConcurrentStreams;
  const options: EnvoyJson = {
    '@type': `type.googleapis.com/${HTTP_OPTIONS}`,
    explicit_http_config: http2 ? { http2_protocol_options: h2 } : { http_protocol_options: {} },
  };
  if (Object.keys(common).length > 0) options.common_http_protocol_options = common;
  return { [HTTP_OPTIONS]: options };
}

/** Connection timeout of a cluster (Istio's default is 10 s). */
export function connectTimeout(pool: ConnectionPoolSettings | undefined): string {
  const ms = pool?.tcp?.connectTimeout ? parseDurationMs(pool.tcp.connectTimeout) : undefined;
  return durationJson(ms ?? 10_000);
}

/**
 * Envoy `outlier_detection` as Istio writes it: only the consecutive-error detectors Istio exposes
 * are enforced; success-rate ejection is turned off explicitly (Envoy and gRPC enable it by default).
 */
export function outlierDetection(od: OutlierDetection | undefined): EnvoyJson | undefined {
  if (!od) return undefined;
  const out: EnvoyJson = { enforcing_success_rate: 0 };
  const consecutive5xx = od.consecutive5xxErrors ?? od.consecutiveErrors;
  if (consecutive5xx !== undefined && consecutive5xx > 0) {
    out.consecutive_5xx = consecutive5xx;
    out.enforcing_consecutive_5xx = 100;
  } else out.enforcing_consecutive_5xx = 0;
  if (od.consecutiveGatewayErrors !== undefined && od.consecutiveGatewayErrors > 0) {
    out.consecutive_gateway_failure = od.consecutiveGatewayErrors;
    out.enforcing_consecutive_gateway_failure = 100;
  }
  if (od.consecutiveLocalOriginFailures !== undefined) {
    out.consecutive_local_origin_failure = od.consecutiveLocalOriginFailures;
    out.split_external_local_origin_errors = true;
  }
  const intervalMs = od.interval ? parseDurationMs(od.interval) : undefined;
  if (intervalMs !== undefined) out.interval = durationJson(intervalMs);
  const baseMs = od.baseEjectionTime ? parseDurationMs(od.baseEjectionTime) : undefined;
  if (baseMs !== undefined) out.base_ejection_time = durationJson(baseMs);
  if (od.maxEjectionPercent !== undefined) out.max_ejection_percent = od.maxEjectionPercent;
  return out;
}

/** `common_lb_config` carrying Istio's `minHealthPercent` as Envoy's panic threshold. */
export function commonLbConfig(od: OutlierDetection | undefined): EnvoyJson | undefined {
  if (od?.minHealthPercent === undefined) return undefined;
  return { healthy_panic_threshold: { value: od.minHealthPercent } };
}
