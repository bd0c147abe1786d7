/**
 * The proxy's upstream layer: clusters, load balancers, active health checking, outlier detection
 * and circuit-breaker limits. The engine uses {@link ClusterManager} and the contract in types.ts.
 */
export type { Clock, RandomSource, TimerHandle } from './clock.js';
export { ManualClock, systemClock } from './clock.js';
export { UpstreamCluster } from './cluster.js';
export type { ClusterDiscoveryType, ClusterSettings } from './cluster-config.js';
export { compileCluster } from './cluster-config.js';
export type { ClusterManagerOptions } from './cluster-manager.js';
export { ClusterManager } from './cluster-manager.js';
export type { ClusterCounters, ClusterStatsSnapshot, LimitsSnapshot } from './cluster-stats.js';
export type { DnsResolve } from './dns-resolver.js';
export { systemDnsResolve } from './dns-resolver.js';
export type { EnvoyJson } from './envoy-json.js';
export type { HealthCheckSettings } from './health/health-check-config.js';
export type { HealthCheckStats } from './health/health-checker.js';
export type { HostSpec } from './host.js';
export { hostKey, UpstreamHost } from './host.js';
export type { LimitThresholds } from './limits.js';
export { CircuitBreakerLimits, DEFAULT_LIMIT_THRESHOLDS } from './limits.js';
export type { CompiledLoadAssignment } from './load-assignment.js';
export { compileLoadAssignment } from './load-assignment.js';
export type {
  LbPolicy,
  LbSettings,
  LoadBalancer,
  LoadBalancerFactory,
} from './load-balancers/load-balancer.js';
export { DEFAULT_LB_SETTINGS, LB_POLICIES } from './load-balancers/load-balancer.js';
export { LOAD_BALANCERS } from './load-balancers/registry.js';
export { xxHash64 } from './load-balancers/xxhash64.js';
export type { OutlierDetectionSettings } from './outlier-detection-config.js';
export { DEFAULT_OUTLIER_DETECTION } from './outlier-detection-config.js';
export type { EjectionType, OutlierStats } from './outlier-detector.js';
export type { Http2Settings, UpstreamProtocolSettings } from './protocol-options.js';
export type * from './types.js';
export type {
  UpstreamClusterEvent,
  UpstreamEvent,
  UpstreamEventListener,
  UpstreamHostEvent,
} from './upstream-events.js';
