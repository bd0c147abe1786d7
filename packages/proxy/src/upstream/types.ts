/**
 * The contract between the proxy's engine (listener → HCM → router) and its upstream layer
 * (clusters, load balancers, health checking, outlier detection, circuit-breaker limits).
 *
 * The engine asks a {@link Cluster} for a {@link Host}, sends the request over its own
 * connection pool for that host, and reports the outcome back so that outlier detection,
 * least-request balancing and the limits stay true.
 */
import type { UpstreamTlsConfig } from '../tls/upstream-tls-context.js';
import type { Http2Settings } from './protocol-options.js';

/** Health as EDS reports it (Envoy's `core.v3.HealthStatus`, names verbatim). */
export type EdsHealthStatus = 'UNKNOWN' | 'HEALTHY' | 'UNHEALTHY' | 'DRAINING' | 'TIMEOUT' | 'DEGRADED';

/** One upstream endpoint of a cluster. Identity is `address:port` (`name:port` for a LOGICAL_DNS host). */
export interface Host {
  /**
   * `address:port`, stable for the life of the host; used as the pool key. A LOGICAL_DNS host is
   * `name:port` and its `address` follows DNS (connect to the current `address`).
   */
  readonly key: string;
  readonly address: string;
  readonly port: number;
  /** Load-balancing weight (EDS `load_balancing_weight`, default 1). */
  readonly weight: number;
  /** Endpoint metadata labels (e.g. `version: v2`), from EDS `metadata.filter_metadata`. */
  readonly labels: Readonly<Record<string, string>>;
  readonly locality?: { region?: string; zone?: string; sub_zone?: string };
  /**
   * The endpoint's name when it has one: the DNS name of a STRICT_DNS/LOGICAL_DNS host, or EDS
   * `endpoint.hostname` / `health_check_config.hostname`. For `auto_host_rewrite` and SNI.
   */
  readonly hostname?: string;
  readonly edsHealth: EdsHealthStatus;
  /** True when the active health checker last judged this host unhealthy. */
  readonly failedActiveHealthCheck: boolean;
  /** True while outlier detection has this host ejected. */
  readonly ejected: boolean;
  /** Requests currently in flight to this host (the engine increments/decrements). */
  activeRequests: number;
  /** Slot for the engine's connection pool for this host; the upstream layer never reads it. */
  pool: unknown;
  /** Outcome counters kept by `Cluster.reportOutcome` (Envoy's per-host `/clusters` stats). */
  readonly counters?: Readonly<HostCounters>;
}

/** Per-host outcome counters, as Envoy's admin `/clusters` shows them. */
export interface HostCounters {
  /** Attempts reported (`rq_total`). */
  rqTotal: number;
  /** Responses below 500 (`rq_success`). */
  rqSuccess: number;
  /** 5xx responses, resets, connect failures and timeouts (`rq_error`). */
  rqError: number;
  /** Attempts that timed out (`rq_timeout`). */
  rqTimeout: number;
  /** Connection failures (`cx_connect_fail`). */
  cxConnectFail: number;
}

/** What the engine knows about the request when it asks for a host. */
export interface LbContext {
  /** Hash for ring-hash / Maglev, computed by the router from the route's `hash_policy`; undefined → random. */
  hash?: bigint | number;
  /** Hosts already tried by earlier attempts of this request (retries prefer others). */
  attemptedHosts?: readonly Host[];
}

/** How one upstream attempt ended, as outlier detection and stats need it. */
export type UpstreamOutcome =
  | { kind: 'response'; status: number }
  | { kind: 'connect-failure' }
  | { kind: 'reset' }
  | { kind: 'timeout' };

/** Priority of Envoy's per-cluster `circuit_breakers.thresholds`. */
export type RoutingPriority = 'DEFAULT' | 'HIGH';

/** Envoy's cluster circuit breakers: counters with limits; exceeding one gives a 503 with flag `UO`. */
export interface ClusterLimits {
  readonly maxConnections: number;
  readonly maxPendingRequests: number;
  readonly maxRequests: number;
  readonly maxRetries: number;
  tryAcquireRequest(): boolean;
  releaseRequest(): void;
  tryAcquirePending(): boolean;
  releasePending(): void;
  tryAcquireRetry(): boolean;
  releaseRetry(): void;
  tryAcquireConnection(): boolean;
  releaseConnection(): void;
}

/** A compiled upstream cluster, ready for the hot path. */
export interface Cluster {
  readonly name: string;
  /** Envoy `connect_timeout` in milliseconds. */
  readonly connectTimeoutMs: number;
  /** Whether upstream connections speak HTTP/2 (`typed_extension_protocol_options` / `http2_protocol_options`). */
  readonly http2: boolean;
  /** `http2_protocol_options` of an HTTP/2 cluster (stream limit per connection). */
  readonly http2Settings?: Http2Settings;
  /** `transport_socket` UpstreamTlsContext: pools originate TLS when set. */
  readonly tls?: UpstreamTlsConfig;
  /** Per-connection limits from the cluster config, for the engine's pool. */
  readonly maxRequestsPerConnection: number;
  /** `common_http_protocol_options.idle_timeout` of pooled connections in ms (Envoy default 1 h; 0: never). */
  readonly idleTimeoutMs: number;
  readonly limits: ClusterLimits;
  /** Picks a host, or null when none is available (→ 503, response flag `UH`). */
  chooseHost(ctx: LbContext): Host | null;
  /** Reports an attempt's outcome (outlier detection, least-request, stats). */
  reportOutcome(host: Host, outcome: UpstreamOutcome, durationMs: number): void;
  /** All hosts with their state, for the admin `/clusters` page. */
  hosts(): readonly Host[];
}
