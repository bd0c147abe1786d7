/**
 * Compiles Envoy's `envoy.config.endpoint.v3.ClusterLoadAssignment` (EDS, or a cluster's inline
 * `load_assignment`) into host specs. Locality weights are accepted and kept on the hosts, but
 * balancing is not locality-weighted; priorities fail over as documented in docs/proxy-upstream.md.
 */
import { ProxyConfigError } from '../errors.js';
import {
  at,
  type EnvoyJson,
  readArray,
  readEnum,
  readMessage,
  readObject,
  readString,
  readUint,
  requireString,
} from './envoy-json.js';
import { type HostSpec, hostKey } from './host.js';
import type { EdsHealthStatus } from './types.js';

/** A compiled load assignment: the endpoints of one cluster. */
export interface CompiledLoadAssignment {
  readonly clusterName: string;
  readonly hosts: readonly HostSpec[];
  /** `policy.overprovisioning_factor` as a percent (Envoy default 140). */
  readonly overprovisioningFactorPercent: number;
}

const CLA_TYPE_URL = 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment';
const CLA_FIELDS = new Set(['@type', 'cluster_name', 'endpoints', 'policy']);
const POLICY_FIELDS = new Set([
  'overprovisioning_factor',
  'endpoint_stale_after',
  'weighted_priority_health',
]);
const LOCALITY_LB_FIELDS = new Set([
  'locality',
  'lb_endpoints',
  'load_balancing_weight',
  'priority',
  'metadata',
]);
const LOCALITY_FIELDS = new Set(['region', 'zone', 'sub_zone']);
const LB_ENDPOINT_FIELDS = new Set(['endpoint', 'health_status', 'metadata', 'load_balancing_weight']);
const ENDPOINT_FIELDS = new Set(['address', 'health_check_config', 'hostname']);
const HC_CONFIG_FIELDS = new Set(['port_value', 'hostname']);
const ADDRESS_FIELDS = new Set(['socket_address']);
const SOCKET_FIELDS = new Set(['address', 'port_value', 'protocol', 'ipv4_compat']);
const METADATA_FIELDS = new Set(['filter_metadata', 'typed_filter_metadata']);
const HEALTH: readonly EdsHealthStatus[] = [
  'UNKNOWN',
  'HEALTHY',
  'UNHEALTHY',
  'DRAINING',
  'TIMEOUT',
  'DEGRADED',
];

/**
 * Compiles a ClusterLoadAssignment; `path` prefixes error locations.
 *
 * @example
 * compileLoadAssignment('cla', { cluster_name: 'inventory', endpoints: [{ lb_endpoints: [
 *   { endpoint: { address: { socket_address: { address: '10.0.0.7', port_value: 8080 } } } }] }] });
 */
export function compileLoadAssignment(path: string, value: unknown): CompiledLoadAssignment {
  const cla = readMessage(path, value, CLA_FIELDS);
  if (cla['@type'] !== undefined && cla['@type'] !== CLA_TYPE_URL) {
    throw new ProxyConfigError(
      at(path, '@type'),
      `expected ${CLA_TYPE_URL}, got ${JSON.stringify(cla['@type'])}`,
    );
  }
  const clusterName = requireString(at(path, 'cluster_name'), cla.cluster_name);
  let overprovisioningFactorPercent = 140;
  if (cla.policy !== undefined) {
    const policy = readMessage(at(path, 'policy'), cla.policy, POLICY_FIELDS);
    overprovisioningFactorPercent = readUint(
      at(at(path, 'policy'), 'overprovisioning_factor'),
      policy.overprovisioning_factor,
      140,
    );
  }
  const hosts: HostSpec[] = [];
  const seen = new Set<string>();
  readArray(at(path, 'endpoints'), cla.endpoints).forEach((group, i) => {
    for (const spec of compileLocalityGroup(at(at(path, 'endpoints'), i), group)) {
      const key = hostKey(spec.address, spec.port);
      // Envoy keeps the first of duplicate addresses; a second copy would double its share.
      if (seen.has(key)) continue;
      seen.add(key);
      hosts.push(spec);
    }
  });
  return { clusterName, hosts, overprovisioningFactorPercent };
}

function compileLocalityGroup(path: string, value: unknown): HostSpec[] {
  const group = readMessage(path, value, LOCALITY_LB_FIELDS);
  const priority = readUint(at(path, 'priority'), group.priority, 0, 127);
  const localityWeight = readUint(at(path, 'load_balancing_weight'), group.load_balancing_weight, 0);
  let locality: HostSpec['locality'];
  if (group.locality !== undefined) {
    const l = readMessage(at(path, 'locality'), group.locality, LOCALITY_FIELDS);
    locality = {};
    for (const k of LOCALITY_FIELDS) {
      const v = readString(at(at(path, 'locality'), k), l[k]);
      if (v) (locality as Record<string, string>)[k] = v;
    }
  }
  return readArray(at(path, 'lb_endpoints'), group.lb_endpoints).map((e, j) => ({
    ...compileLbEndpoint(at(at(path, 'lb_endpoints'), j), e, priority, locality),
    localityWeight,
  }));
}

function compileLbEndpoint(
  path: string,
  value: unknown,
  priority: number,
  locality: HostSpec['locality'],
): HostSpec {
  const lbEndpoint = readMessage(path, value, LB_ENDPOINT_FIELDS);
  const endpointPath = at(path, 'endpoint');
  const endpoint = readMessage(endpointPath, lbEndpoint.endpoint ?? {}, ENDPOINT_FIELDS);
  const { address, port } = compileSocketAddress(at(endpointPath, 'address'), endpoint.address);
  const weight = readUint(at(path, 'load_balancing_weight'), lbEndpoint.load_balancing_weight, 1);
  if (weight < 1) throw new ProxyConfigError(at(path, 'load_balancing_weight'), 'must be at least 1');
  let healthCheckPort: number | undefined;
  const hostname = readString(at(endpointPath, 'hostname'), endpoint.hostname) || undefined;
  let healthCheckHostname: string | undefined;
  if (endpoint.health_check_config !== undefined) {
    const hcPath = at(endpointPath, 'health_check_config');
    const hc = readMessage(hcPath, endpoint.health_check_config, HC_CONFIG_FIELDS);
    healthCheckPort = readUint(at(hcPath, 'port_value'), hc.port_value, 0, 65535) || undefined;
    healthCheckHostname = readString(at(hcPath, 'hostname'), hc.hostname) || undefined;
  }
  return {
    address,
    port,
    weight,
    labels: compileLabels(at(path, 'metadata'), lbEndpoint.metadata),
    locality,
    edsHealth: readEnum(at(path, 'health_status'), lbEndpoint.health_status, HEALTH, 'UNKNOWN'),
    priority,
    healthCheckPort,
    hostname,
    healthCheckHostname,
  };
}

/** Reads `{ socket_address: { address, port_value } }`; pipes and named ports are unsupported. */
export function compileSocketAddress(path: string, value: unknown): { address: string; port: number } {
  if (value === undefined) throw new ProxyConfigError(path, 'is required');
  const addr = readMessage(path, value, ADDRESS_FIELDS);
  const sockPath = at(path, 'socket_address');
  if (addr.socket_address === undefined) throw new ProxyConfigError(sockPath, 'is required');
  const sock = readMessage(sockPath, addr.socket_address, SOCKET_FIELDS);
  if (sock.protocol !== undefined && sock.protocol !== 'TCP' && sock.protocol !== 0) {
    throw new ProxyConfigError(
      at(sockPath, 'protocol'),
      `unsupported value ${JSON.stringify(sock.protocol)}`,
    );
  }
  const address = requireString(at(sockPath, 'address'), sock.address);
  const port = readUint(at(sockPath, 'port_value'), sock.port_value, 0, 65535);
  if (port === 0) throw new ProxyConfigError(at(sockPath, 'port_value'), 'is required');
  return { address, port };
}

/**
 * Flattens `metadata.filter_metadata` into string labels. `envoy.lb` (Envoy's subset-LB namespace)
 * wins; other namespaces fill in keys it lacks. Scalars are stringified; nested values are skipped.
 */
export function compileLabels(path: string, value: unknown): Readonly<Record<string, string>> {
  if (value === undefined) return EMPTY_LABELS;
  const md = readMessage(path, value, METADATA_FIELDS);
  if (md.filter_metadata === undefined) return EMPTY_LABELS;
  const fm = readObject(at(path, 'filter_metadata'), md.filter_metadata);
  const labels: Record<string, string> = {};
  const namespaces = Object.keys(fm).sort((a, b) => (a === 'envoy.lb' ? -1 : b === 'envoy.lb' ? 1 : 0));
  for (const ns of namespaces) {
    const struct = readObject(at(at(path, 'filter_metadata'), ns), fm[ns]) as EnvoyJson;
    for (const [k, v] of Object.entries(struct)) {
      if (k in labels) continue;
      if (typeof v === 'string') labels[k] = v;
      else if (typeof v === 'number' || typeof v === 'boolean') labels[k] = String(v);
    }
  }
  return Object.freeze(labels);
}

const EMPTY_LABELS: Readonly<Record<string, string>> = Object.freeze({});
