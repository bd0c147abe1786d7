/** Per-cluster counters and the snapshot the engine exports to Prometheus and the admin page. */
import type { HealthCheckStats } from './health/health-checker.js';
import type { UpstreamHost } from './host.js';
import type { CircuitBreakerLimits } from './limits.js';
import type { EjectionType, OutlierStats } from './outlier-detector.js';

/** Counters updated on the request path (plain number fields: an increment, nothing more). */
export interface ClusterCounters {
  /** Successful host picks. */
  lbPicks: number;
  /** Picks made while in panic mode (Envoy `lb_healthy_panic`). */
  lbHealthyPanic: number;
  /** Picks that found no host (Envoy `upstream_cx_none_healthy`; the engine answers 503 `UH`). */
  noHealthyHost: number;
  /** Responses by status class: index 1–5 for 1xx–5xx, 0 for anything else. */
  responses: number[];
  connectFailures: number;
  resets: number;
  timeouts: number;
  /** Host-set changes that added or removed hosts (Envoy `membership_change`). */
  membershipChanges: number;
}

/** Circuit-breaker state of one priority. */
export interface LimitsSnapshot {
  readonly maxConnections: number;
  readonly maxPendingRequests: number;
  readonly maxRequests: number;
  readonly maxRetries: number;
  readonly activeConnections: number;
  readonly activePendingRequests: number;
  readonly activeRequests: number;
  readonly activeRetries: number;
  readonly connectionOverflows: number;
  readonly pendingRequestOverflows: number;
  readonly requestOverflows: number;
  readonly retryOverflows: number;
}

/** Everything the engine exports for one cluster; a copy, safe to keep. */
export interface ClusterStatsSnapshot {
  readonly cluster: string;
  /** `alt_stat_name` or the cluster name: the label to export under. */
  readonly statName: string;
  readonly lbPolicy: string;
  readonly panic: boolean;
  readonly membershipTotal: number;
  readonly membershipHealthy: number;
  readonly membershipDegraded: number;
  readonly membershipExcluded: number;
  readonly lbPicks: number;
  readonly lbHealthyPanic: number;
  readonly noHealthyHost: number;
  readonly responses: { readonly '1xx': number; '2xx': number; '3xx': number; '4xx': number; '5xx': number };
  readonly connectFailures: number;
  readonly resets: number;
  readonly timeouts: number;
  readonly membershipChanges: number;
  readonly ejectionsActive: number;
  readonly ejectionsTotal: number;
  readonly ejectionsOverflow: number;
  readonly ejectionsDetected: Readonly<Record<EjectionType, number>>;
  readonly ejectionsEnforced: Readonly<Record<EjectionType, number>>;
  readonly healthCheckAttempts: number;
  readonly healthCheckSuccesses: number;
  readonly healthCheckFailures: number;
  readonly healthCheckNetworkFailures: number;
  readonly limits: { readonly DEFAULT: LimitsSnapshot; readonly HIGH: LimitsSnapshot };
}

const NO_EJECTIONS: Record<EjectionType, number> = Object.freeze({
  consecutive_5xx: 0,
  consecutive_gateway_failure: 0,
  consecutive_local_origin_failure: 0,
  success_rate: 0,
  failure_percentage: 0,
  success_rate_local_origin: 0,
  failure_percentage_local_origin: 0,
});

/** The cluster fields a snapshot reads. */
export interface StatsSource {
  readonly name: string;
  readonly settings: { readonly statName: string; readonly lbPolicy: string };
  readonly panic: boolean;
  readonly counters: ClusterCounters;
  readonly limits: CircuitBreakerLimits;
  readonly highPriorityLimits: CircuitBreakerLimits;
}

/** Builds a snapshot (allocates; for scrapes, not for the request path). */
export function snapshotStats(
  cluster: StatsSource,
  hosts: readonly UpstreamHost[],
  outlier: OutlierStats | undefined,
  health: HealthCheckStats | undefined,
): ClusterStatsSnapshot {
  const c = cluster.counters;
  return {
    cluster: cluster.name,
    statName: cluster.settings.statName,
    lbPolicy: cluster.settings.lbPolicy,
    panic: cluster.panic,
    membershipTotal: hosts.length,
    membershipHealthy: hosts.filter((h) => h.available && h.edsHealth !== 'DEGRADED').length,
    membershipDegraded: hosts.filter((h) => h.available && h.edsHealth === 'DEGRADED').length,
    membershipExcluded: hosts.filter((h) => !h.available).length,
    lbPicks: c.lbPicks,
    lbHealthyPanic: c.lbHealthyPanic,
    noHealthyHost: c.noHealthyHost,
    responses: {
      '1xx': c.responses[1],
      '2xx': c.responses[2],
      '3xx': c.responses[3],
      '4xx': c.responses[4],
      '5xx': c.responses[5],
    },
    connectFailures: c.connectFailures,
    resets: c.resets,
    timeouts: c.timeouts,
    membershipChanges: c.membershipChanges,
    ejectionsActive: outlier?.ejectionsActive ?? 0,
    ejectionsTotal: outlier?.ejectionsTotal ?? 0,
    ejectionsOverflow: outlier?.ejectionsOverflow ?? 0,
    ejectionsDetected: { ...(outlier?.detected ?? NO_EJECTIONS) },
    ejectionsEnforced: { ...(outlier?.enforced ?? NO_EJECTIONS) },
    healthCheckAttempts: health?.attempts ?? 0,
    healthCheckSuccesses: health?.successes ?? 0,
    healthCheckFailures: health?.failures ?? 0,
    healthCheckNetworkFailures: health?.networkFailures ?? 0,
    limits: { DEFAULT: snapshotLimits(cluster.limits), HIGH: snapshotLimits(cluster.highPriorityLimits) },
  };
}

function snapshotLimits(l: CircuitBreakerLimits): LimitsSnapshot {
  return {
    maxConnections: l.maxConnections,
    maxPendingRequests: l.maxPendingRequests,
    maxRequests: l.maxRequests,
    maxRetries: l.retryLimit(),
    activeConnections: l.connections,
    activePendingRequests: l.pendingRequests,
    activeRequests: l.requests,
    activeRetries: l.retries,
    connectionOverflows: l.overflows.connections,
    pendingRequestOverflows: l.overflows.pendingRequests,
    requestOverflows: l.overflows.requests,
    retryOverflows: l.overflows.retries,
  };
}
