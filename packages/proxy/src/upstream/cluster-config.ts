/**
 * Compiles one Envoy `envoy.config.cluster.v3.Cluster` (canonical JSON) into immutable
 * {@link ClusterSettings}. Every field outside the supported set is rejected by name, so a config
 * this proxy would silently misread never applies.
 */
import { ProxyConfigError } from '../errors.js';
import { compileUpstreamTransportSocket, type UpstreamTlsConfig } from '../tls/upstream-tls-context.js';
import { compileCircuitBreakers } from './circuit-breakers-config.js';
import {
  at,
  type EnvoyJson,
  readArray,
  readBool,
  readDurationMs,
  readEnum,
  readMessage,
  readNumber,
  readObject,
  readPercent,
  readString,
  readUint,
  requireString,
} from './envoy-json.js';
import { compileHealthCheck, type HealthCheckSettings } from './health/health-check-config.js';
import type { LimitThresholds } from './limits.js';
import { type CompiledLoadAssignment, compileLoadAssignment } from './load-assignment.js';
import {
  DEFAULT_LB_SETTINGS,
  LB_POLICIES,
  type LbPolicy,
  type LbSettings,
} from './load-balancers/load-balancer.js';
import { compileOutlierDetection, type OutlierDetectionSettings } from './outlier-detection-config.js';
import { compileProtocolOptions, type UpstreamProtocolSettings } from './protocol-options.js';

/** Envoy `Cluster.DiscoveryType` values this proxy supports. */
export type ClusterDiscoveryType = 'STATIC' | 'STRICT_DNS' | 'LOGICAL_DNS' | 'EDS';

/** A cluster compiled from config; the runtime {@link UpstreamCluster} is built from it. */
export interface ClusterSettings {
  readonly name: string;
  readonly type: ClusterDiscoveryType;
  /** EDS resource name to subscribe to (`eds_cluster_config.service_name`, default the cluster name). */
  readonly edsServiceName: string;
  /** `eds_cluster_config.eds_config` as given (the xDS client decides where to fetch from). */
  readonly edsConfig: EnvoyJson | undefined;
  readonly connectTimeoutMs: number;
  readonly lbPolicy: LbPolicy;
  readonly lbSettings: LbSettings;
  /** `common_lb_config.healthy_panic_threshold` percent (default 50; 0 disables panic mode). */
  readonly healthyPanicThresholdPercent: number;
  /** `common_lb_config.locality_weighted_lb_config` is set: pick a locality by weight first. */
  readonly localityWeighted: boolean;
  readonly loadAssignment: CompiledLoadAssignment | undefined;
  readonly limits: { readonly DEFAULT: LimitThresholds; readonly HIGH: LimitThresholds };
  readonly outlierDetection: OutlierDetectionSettings | undefined;
  readonly healthChecks: readonly HealthCheckSettings[];
  readonly protocol: UpstreamProtocolSettings;
  /** `per_connection_buffer_limit_bytes` (Envoy default 1 MiB). */
  readonly perConnectionBufferLimitBytes: number;
  /** `transport_socket` typed config (`UpstreamTlsContext`) when TLS is configured. */
  readonly upstreamTlsContext: EnvoyJson | undefined;
  /** The same, compiled (certificates read, secure context built). */
  readonly upstreamTls: UpstreamTlsConfig | undefined;
  readonly metadata: EnvoyJson | undefined;
  /** Name used in stats (`alt_stat_name`, default the cluster name). */
  readonly statName: string;
  /** DNS refresh period for STRICT_DNS / LOGICAL_DNS (`dns_refresh_rate`, default 5 s). */
  readonly dnsRefreshRateMs: number;
  readonly dnsLookupFamily: 'AUTO' | 'V4_ONLY' | 'V6_ONLY' | 'V4_PREFERRED' | 'ALL';
}

const CLUSTER_TYPE_URL = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';
const CLUSTER_FIELDS = new Set([
  '@type',
  'name',
  'type',
  'eds_cluster_config',
  'connect_timeout',
  'lb_policy',
  'least_request_lb_config',
  'ring_hash_lb_config',
  'maglev_lb_config',
  'load_assignment',
  'circuit_breakers',
  'outlier_detection',
  'health_checks',
  'typed_extension_protocol_options',
  'http2_protocol_options',
  'common_lb_config',
  'per_connection_buffer_limit_bytes',
  'transport_socket',
  'metadata',
  'alt_stat_name',
  'dns_refresh_rate',
  'dns_lookup_family',
  'ignore_health_on_host_removal',
]);
const TYPES: readonly string[] = ['STATIC', 'STRICT_DNS', 'LOGICAL_DNS', 'EDS', 'ORIGINAL_DST'];
const DNS_FAMILIES = ['AUTO', 'V4_ONLY', 'V6_ONLY', 'V4_PREFERRED', 'ALL'] as const;
// Envoy enum order, so numeric values resolve too (4 is the removed ORIGINAL_DST_LB).
const ENVOY_LB_POLICIES = [
  'ROUND_ROBIN',
  'LEAST_REQUEST',
  'RING_HASH',
  'RANDOM',
  'ORIGINAL_DST_LB',
  'MAGLEV',
  'CLUSTER_PROVIDED',
  'LOAD_BALANCING_POLICY_CONFIG',
];
const EDS_FIELDS = new Set(['eds_config', 'service_name']);
const LEAST_REQUEST_FIELDS = new Set(['choice_count', 'active_request_bias']);
const RUNTIME_DOUBLE_FIELDS = new Set(['default_value', 'runtime_key']);
const RING_FIELDS = new Set(['minimum_ring_size', 'maximum_ring_size', 'hash_function']);
const MAGLEV_FIELDS = new Set(['table_size']);
const COMMON_LB_FIELDS = new Set(['healthy_panic_threshold', 'locality_weighted_lb_config']);
const NO_FIELDS = new Set<string>();
const TRANSPORT_FIELDS = new Set(['name', 'typed_config']);
const TLS_TYPE = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext';
const RAW_BUFFER_TYPE = 'type.googleapis.com/envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer';

/**
 * Compiles `clusters[i]`; `path` (e.g. `clusters[2]`) prefixes every error.
 *
 * @example
 * compileCluster('clusters[0]', { name: 'inventory', type: 'EDS', eds_cluster_config: { eds_config: { ads: {} } } });
 */
export function compileCluster(path: string, value: unknown): ClusterSettings {
  const c = readMessage(path, value, CLUSTER_FIELDS);
  // A resource unpacked from an Any (config dumps, bootstrap files) may keep its `@type`.
  if (c['@type'] !== undefined && c['@type'] !== CLUSTER_TYPE_URL) {
    throw new ProxyConfigError(
      at(path, '@type'),
      `expected ${CLUSTER_TYPE_URL}, got ${JSON.stringify(c['@type'])}`,
    );
  }
  const name = requireString(at(path, 'name'), c.name);
  // Hosts leave as soon as discovery drops them; Envoy's default instead keeps a removed host while
  // it passes active health checks, which only `true` here matches.
  if (
    c.ignore_health_on_host_removal !== undefined &&
    !readBool(at(path, 'ignore_health_on_host_removal'), c.ignore_health_on_host_removal, true)
  ) {
    throw new ProxyConfigError(at(path, 'ignore_health_on_host_removal'), 'unsupported value false');
  }
  const lbPolicy = readEnum(at(path, 'lb_policy'), c.lb_policy, ENVOY_LB_POLICIES, 'ROUND_ROBIN');
  if (!(LB_POLICIES as readonly string[]).includes(lbPolicy)) {
    throw new ProxyConfigError(at(path, 'lb_policy'), `unsupported value ${JSON.stringify(lbPolicy)}`);
  }
  return Object.freeze({
    name,
    ...compileDiscovery(path, c, name),
    connectTimeoutMs: readDurationMs(at(path, 'connect_timeout'), c.connect_timeout, 5000),
    lbPolicy: lbPolicy as LbPolicy,
    lbSettings: compileLbSettings(path, c),
    ...compileCommonLbConfig(path, c.common_lb_config),
    limits: compileCircuitBreakers(at(path, 'circuit_breakers'), c.circuit_breakers),
    outlierDetection:
      c.outlier_detection === undefined
        ? undefined
        : compileOutlierDetection(at(path, 'outlier_detection'), c.outlier_detection),
    healthChecks: readArray(at(path, 'health_checks'), c.health_checks).map((h, i) =>
      compileHealthCheck(at(at(path, 'health_checks'), i), h),
    ),
    protocol: compileProtocolOptions(path, c),
    perConnectionBufferLimitBytes: readUint(
      at(path, 'per_connection_buffer_limit_bytes'),
      c.per_connection_buffer_limit_bytes,
      1024 * 1024,
    ),
    upstreamTlsContext: compileTransportSocket(at(path, 'transport_socket'), c.transport_socket),
    upstreamTls: compileUpstreamTransportSocket(c.transport_socket, at(path, 'transport_socket')),
    metadata: c.metadata === undefined ? undefined : readObject(at(path, 'metadata'), c.metadata),
    statName: readString(at(path, 'alt_stat_name'), c.alt_stat_name) || name,
  });
}

/** Discovery type and where hosts come from (inline endpoints, EDS, DNS). */
function compileDiscovery(path: string, c: EnvoyJson, name: string) {
  const type = readEnum(at(path, 'type'), c.type, TYPES, 'STATIC');
  if (type === 'ORIGINAL_DST')
    throw new ProxyConfigError(at(path, 'type'), 'unsupported value "ORIGINAL_DST"');
  const eds = compileEds(path, c, type as ClusterDiscoveryType, name);
  const loadAssignment =
    c.load_assignment === undefined
      ? undefined
      : compileLoadAssignment(at(path, 'load_assignment'), c.load_assignment);
  if (type !== 'EDS' && !loadAssignment) {
    throw new ProxyConfigError(at(path, 'load_assignment'), `is required for type ${type}`);
  }
  if (type === 'LOGICAL_DNS' && loadAssignment && loadAssignment.hosts.length !== 1) {
    throw new ProxyConfigError(at(path, 'load_assignment'), 'LOGICAL_DNS needs exactly one endpoint');
  }
  return {
    type: type as ClusterDiscoveryType,
    ...eds,
    loadAssignment,
    dnsRefreshRateMs: compileDnsRefreshRate(at(path, 'dns_refresh_rate'), c.dns_refresh_rate),
    dnsLookupFamily: readEnum(at(path, 'dns_lookup_family'), c.dns_lookup_family, DNS_FAMILIES, 'AUTO'),
  };
}

function compileEds(path: string, c: EnvoyJson, type: ClusterDiscoveryType, name: string) {
  if (c.eds_cluster_config === undefined) {
    if (type === 'EDS')
      throw new ProxyConfigError(at(path, 'eds_cluster_config'), 'is required for type EDS');
    return { edsServiceName: name, edsConfig: undefined };
  }
  const p = at(path, 'eds_cluster_config');
  if (type !== 'EDS') throw new ProxyConfigError(p, `is only valid for type EDS, not ${type}`);
  const eds = readMessage(p, c.eds_cluster_config, EDS_FIELDS);
  return {
    edsServiceName: readString(at(p, 'service_name'), eds.service_name) || name,
    edsConfig: eds.eds_config === undefined ? undefined : readObject(at(p, 'eds_config'), eds.eds_config),
  };
}

function compileLbSettings(path: string, c: EnvoyJson): LbSettings {
  const d = DEFAULT_LB_SETTINGS;
  let choiceCount = d.choiceCount;
  let activeRequestBias = d.activeRequestBias;
  let minRingSize = d.minRingSize;
  let maxRingSize = d.maxRingSize;
  let maglevTableSize = d.maglevTableSize;
  if (c.least_request_lb_config !== undefined) {
    const p = at(path, 'least_request_lb_config');
    const lr = readMessage(p, c.least_request_lb_config, LEAST_REQUEST_FIELDS);
    choiceCount = readUint(at(p, 'choice_count'), lr.choice_count, d.choiceCount);
    if (choiceCount < 2) throw new ProxyConfigError(at(p, 'choice_count'), 'must be at least 2');
    if (lr.active_request_bias !== undefined) {
      // A RuntimeDouble: there is no runtime layer here, so the default value is the value.
      const bp = at(p, 'active_request_bias');
      const bias = readMessage(bp, lr.active_request_bias, RUNTIME_DOUBLE_FIELDS);
      readString(at(bp, 'runtime_key'), bias.runtime_key);
      activeRequestBias = readNumber(at(bp, 'default_value'), bias.default_value, 1);
      if (activeRequestBias < 0) throw new ProxyConfigError(at(bp, 'default_value'), 'must not be negative');
    }
  }
  if (c.ring_hash_lb_config !== undefined) {
    const p = at(path, 'ring_hash_lb_config');
    const rh = readMessage(p, c.ring_hash_lb_config, RING_FIELDS);
    readEnum(at(p, 'hash_function'), rh.hash_function, ['XX_HASH'], 'XX_HASH');
    minRingSize = readUint(at(p, 'minimum_ring_size'), rh.minimum_ring_size, d.minRingSize, 8_388_608);
    maxRingSize = readUint(at(p, 'maximum_ring_size'), rh.maximum_ring_size, d.maxRingSize, 8_388_608);
    if (minRingSize < 1 || minRingSize > maxRingSize) {
      throw new ProxyConfigError(
        p,
        `minimum_ring_size ${minRingSize} must be between 1 and maximum_ring_size ${maxRingSize}`,
      );
    }
  }
  if (c.maglev_lb_config !== undefined) {
    const p = at(path, 'maglev_lb_config');
    const mg = readMessage(p, c.maglev_lb_config, MAGLEV_FIELDS);
    maglevTableSize = readUint(at(p, 'table_size'), mg.table_size, d.maglevTableSize, 5_000_011);
    if (!isPrime(maglevTableSize)) {
      throw new ProxyConfigError(at(p, 'table_size'), `must be a prime number, got ${maglevTableSize}`);
    }
  }
  return Object.freeze({ choiceCount, activeRequestBias, minRingSize, maxRingSize, maglevTableSize });
}

function compileCommonLbConfig(path: string, value: unknown) {
  if (value === undefined) return { healthyPanicThresholdPercent: 50, localityWeighted: false };
  const p = at(path, 'common_lb_config');
  const common = readMessage(p, value, COMMON_LB_FIELDS);
  if (common.locality_weighted_lb_config !== undefined) {
    readMessage(at(p, 'locality_weighted_lb_config'), common.locality_weighted_lb_config, NO_FIELDS);
  }
  return {
    healthyPanicThresholdPercent: readPercent(
      at(p, 'healthy_panic_threshold'),
      common.healthy_panic_threshold,
      50,
    ),
    localityWeighted: common.locality_weighted_lb_config !== undefined,
  };
}

function compileTransportSocket(path: string, value: unknown): EnvoyJson | undefined {
  if (value === undefined) return undefined;
  const ts = readMessage(path, value, TRANSPORT_FIELDS);
  const name = readString(at(path, 'name'), ts.name);
  const typed =
    ts.typed_config === undefined ? undefined : readObject(at(path, 'typed_config'), ts.typed_config);
  const type = typed?.['@type'];
  if (type === RAW_BUFFER_TYPE || (name === 'envoy.transport_sockets.raw_buffer' && !typed)) return undefined;
  if (type !== TLS_TYPE) {
    throw new ProxyConfigError(
      typed ? at(at(path, 'typed_config'), '@type') : at(path, 'typed_config'),
      `unsupported transport socket ${JSON.stringify(type ?? name)} (expected ${TLS_TYPE})`,
    );
  }
  return typed;
}

function compileDnsRefreshRate(path: string, value: unknown): number {
  const ms = readDurationMs(path, value, 5000);
  // Envoy requires at least 1 ms; a zero rate would spin the resolver.
  if (ms < 1) throw new ProxyConfigError(path, 'must be at least 1ms');
  return ms;
}

function isPrime(n: number): boolean {
  if (n < 2) return false;
  for (let i = 2; i * i <= n; i++) if (n % i === 0) return false;
  return true;
}
