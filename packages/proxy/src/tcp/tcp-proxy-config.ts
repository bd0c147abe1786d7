/**
 * Envoy `extensions.filters.network.tcp_proxy.v3.TcpProxy`, compiled: where a connection's bytes
 * go (`cluster`, or `weighted_clusters` picked per connection), how long it may sit idle and how
 * many hosts to try. Fields this subset cannot honour are rejected by name.
 */
import { ProxyConfigError } from '../errors.js';
import { accessLogPath } from '../http/connection-manager-config.js';
import { arr, duration, type Json, obj, str, uint } from '../xds/fields.js';

/** `typed_config.@type` of the TCP proxy network filter. */
export const TCP_PROXY_TYPE_URL =
  'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy';

/** One `weighted_clusters.clusters[]` entry (a plain `cluster` is one entry of weight 1). */
export interface WeightedCluster {
  readonly name: string;
  readonly weight: number;
}

/** A compiled TcpProxy filter. */
export interface TcpProxyConfig {
  /** `stat_prefix`: the `envoy_tcp_prefix` label of this filter's stats. */
  readonly statPrefix: string;
  /** Target clusters; one entry for `cluster`. */
  readonly clusters: readonly WeightedCluster[];
  /** Sum of the weights (the range a per-connection pick draws from). */
  readonly totalWeight: number;
  /** `idle_timeout` (default 1 h; 0: none): no bytes either way for this long closes both sides. */
  readonly idleTimeoutMs: number;
  /** `max_downstream_connection_duration` (0: unbounded). */
  readonly maxConnectionDurationMs: number;
  /** `max_connect_attempts` (default 1): hosts tried before the downstream connection is closed. */
  readonly maxConnectAttempts: number;
  /** `access_log[]`: file paths (`/dev/stdout` for the stdout logger) of one JSON line per connection. */
  readonly accessLogPaths: readonly string[];
}

const FIELDS = [
  'stat_prefix',
  'cluster',
  'weighted_clusters',
  'idle_timeout',
  'max_connect_attempts',
  'max_downstream_connection_duration',
  'access_log',
];
const DEFAULT_IDLE_TIMEOUT_MS = 3_600_000;

/** Compiles a TcpProxy `typed_config` (with or without its `@type`) at `path`. */
export function compileTcpProxy(v: unknown, path: string): TcpProxyConfig {
  const o = obj(v, path, ['@type', ...FIELDS]);
  const statPrefix = str(o, 'stat_prefix', path, true);
  if (statPrefix === '') throw new ProxyConfigError(`${path}.stat_prefix`, 'must not be empty');
  const clusters = targetClusters(o, path);
  const maxConnectAttempts = uint(o, 'max_connect_attempts', path, 1);
  if (maxConnectAttempts < 1)
    throw new ProxyConfigError(`${path}.max_connect_attempts`, 'must be at least 1');
  return {
    statPrefix,
    clusters,
    totalWeight: clusters.reduce((n, c) => n + c.weight, 0),
    idleTimeoutMs: duration(o, 'idle_timeout', path, DEFAULT_IDLE_TIMEOUT_MS),
    maxConnectionDurationMs: duration(o, 'max_downstream_connection_duration', path, 0),
    maxConnectAttempts,
    accessLogPaths: arr(o, 'access_log', path).map((a, i) => accessLogPath(a, `${path}.access_log[${i}]`)),
  };
}

/** The `cluster_specifier` oneof: exactly one of `cluster` and `weighted_clusters`. */
function targetClusters(o: Json, path: string): WeightedCluster[] {
  const hasCluster = o.cluster !== undefined && o.cluster !== null;
  const hasWeighted = o.weighted_clusters !== undefined && o.weighted_clusters !== null;
  if (hasCluster && hasWeighted) {
    throw new ProxyConfigError(
      `${path}.weighted_clusters`,
      'only one of cluster and weighted_clusters may be set',
    );
  }
  if (hasCluster) {
    const name = str(o, 'cluster', path, true);
    if (name === '') throw new ProxyConfigError(`${path}.cluster`, 'must not be empty');
    return [{ name, weight: 1 }];
  }
  if (!hasWeighted) {
    throw new ProxyConfigError(`${path}.cluster`, 'one of cluster and weighted_clusters is required');
  }
  const wp = `${path}.weighted_clusters`;
  const list = arr(obj(o.weighted_clusters, wp, ['clusters']), 'clusters', wp);
  if (list.length === 0) throw new ProxyConfigError(`${wp}.clusters`, 'at least one cluster is required');
  return list.map((c, i) => {
    const p = `${wp}.clusters[${i}]`;
    const e = obj(c, p, ['name', 'weight']);
    const name = str(e, 'name', p, true);
    if (name === '') throw new ProxyConfigError(`${p}.name`, 'must not be empty');
    const weight = uint(e, 'weight', p, 0);
    if (weight < 1) throw new ProxyConfigError(`${p}.weight`, 'must be at least 1');
    return { name, weight };
  });
}
