/**
 * Prometheus exposition of the upstream layer's per-cluster snapshots (membership, ejections,
 * health checks, circuit-breaker overflows), rendered at scrape time so the hot path never pays
 * for it.
 */
import type { ClusterStatsSnapshot } from '../upstream/cluster-stats.js';

type Row = [
  name: string,
  type: 'counter' | 'gauge',
  help: string,
  value: (s: ClusterStatsSnapshot) => number,
];

const ROWS: Row[] = [
  ['envoy_cluster_membership_total', 'gauge', 'Hosts in the cluster', (s) => s.membershipTotal],
  ['envoy_cluster_membership_healthy', 'gauge', 'Healthy hosts in the cluster', (s) => s.membershipHealthy],
  [
    'envoy_cluster_membership_degraded',
    'gauge',
    'Degraded hosts in the cluster',
    (s) => s.membershipDegraded,
  ],
  [
    'envoy_cluster_membership_excluded',
    'gauge',
    'Hosts excluded from load balancing',
    (s) => s.membershipExcluded,
  ],
  ['envoy_cluster_membership_change', 'counter', 'Host set changes', (s) => s.membershipChanges],
  ['envoy_cluster_lb_healthy_panic', 'counter', 'Picks made in panic mode', (s) => s.lbHealthyPanic],
  [
    'envoy_cluster_outlier_detection_ejections_active',
    'gauge',
    'Hosts currently ejected',
    (s) => s.ejectionsActive,
  ],
  [
    'envoy_cluster_outlier_detection_ejections_enforced_total',
    'counter',
    'Ejections enforced',
    (s) => s.ejectionsTotal,
  ],
  [
    'envoy_cluster_outlier_detection_ejections_overflow',
    'counter',
    'Ejections refused by max_ejection_percent',
    (s) => s.ejectionsOverflow,
  ],
  [
    'envoy_cluster_health_check_attempt',
    'counter',
    'Active health check attempts',
    (s) => s.healthCheckAttempts,
  ],
  [
    'envoy_cluster_health_check_success',
    'counter',
    'Active health check successes',
    (s) => s.healthCheckSuccesses,
  ],
  [
    'envoy_cluster_health_check_failure',
    'counter',
    'Active health check failures',
    (s) => s.healthCheckFailures,
  ],
  [
    'envoy_cluster_health_check_network_failure',
    'counter',
    'Active health check network failures',
    (s) => s.healthCheckNetworkFailures,
  ],
  [
    'envoy_cluster_upstream_cx_overflow',
    'counter',
    'Connections refused by max_connections',
    (s) => s.limits.DEFAULT.connectionOverflows,
  ],
  [
    'envoy_cluster_upstream_rq_pending_overflow',
    'counter',
    'Requests refused by max_pending_requests or max_requests (503, flag UO)',
    (s) => s.limits.DEFAULT.pendingRequestOverflows + s.limits.DEFAULT.requestOverflows,
  ],
  [
    'envoy_cluster_upstream_rq_retry_overflow',
    'counter',
    'Retries refused by max_retries or the retry budget',
    (s) => s.limits.DEFAULT.retryOverflows,
  ],
  ['envoy_cluster_upstream_rq_active', 'gauge', 'Requests in flight', (s) => s.limits.DEFAULT.activeRequests],
  [
    'envoy_cluster_upstream_cx_active',
    'gauge',
    'Open upstream connections',
    (s) => s.limits.DEFAULT.activeConnections,
  ],
];

/** Renders the snapshots as Prometheus text. */
export function upstreamExposition(snapshots: readonly ClusterStatsSnapshot[]): string {
  if (snapshots.length === 0) return '';
  let out = '';
  for (const [name, type, help, value] of ROWS) {
    out += `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n`;
    for (const s of snapshots)
      out += `${name}{envoy_cluster_name="${escapeLabel(s.statName)}"} ${value(s)}\n`;
  }
  return out;
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}
