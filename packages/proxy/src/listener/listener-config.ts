/**
 * Envoy `config.listener.v3.Listener`, compiled: the bind address and its filter chains, each an
 * HTTP connection manager with an optional TLS `transport_socket`. Several chains are told apart
 * by `filter_chain_match.server_names` (SNI), so they must all be TLS. Anything this subset
 * cannot honour is rejected by name.
 */
import { ProxyConfigError } from '../errors.js';
import { compileHcm, HCM_TYPE_URL, type HcmConfig } from '../http/connection-manager-config.js';
import { compileDownstreamTransportSocket, type DownstreamTlsConfig } from '../tls/downstream-tls-context.js';
import { arr, duration, type Json, obj, str, uint } from '../xds/fields.js';

/** One compiled filter chain. */
export interface FilterChainConfig {
  /** `filter_chain_match.server_names` (empty: the default chain). */
  readonly serverNames: readonly string[];
  /** `transport_socket` (DownstreamTlsContext), or undefined for plaintext. */
  readonly tls: DownstreamTlsConfig | undefined;
  /** `transport_socket_connect_timeout`: the TLS handshake must finish within it (default 10 s). */
  readonly handshakeTimeoutMs: number;
  readonly hcm: HcmConfig;
}

/** A compiled listener. */
export interface ListenerConfig {
  readonly name: string;
  readonly address: string;
  /** 0 picks an ephemeral port (tests). */
  readonly port: number;
  /** The first filter chain's HCM (the only one of a plaintext listener). */
  readonly hcm: HcmConfig;
  /** Every filter chain, in config order; `filterChains[0].hcm === hcm`. */
  readonly filterChains: readonly FilterChainConfig[];
  /** The source resource, for /config_dump. */
  readonly source: unknown;
}

const LISTENER_FIELDS = ['name', 'address', 'filter_chains', 'traffic_direction', 'listener_filters'];
/** Listener filters whose work this proxy does itself (SNI/ALPN inspection happens in the TLS handshake). */
const IMPLIED_LISTENER_FILTERS = [
  'envoy.filters.listener.tls_inspector',
  'envoy.filters.listener.http_inspector',
];

/** Compiles a Listener resource. */
export function compileListener(v: unknown, path: string): ListenerConfig {
  const o = obj(v, path, LISTENER_FIELDS);
  const name = str(o, 'name', path, true);
  const { address, port } = socketAddress(o.address, `${path}.address`);
  listenerFilters(o, path);
  const chains = arr(o, 'filter_chains', path);
  if (chains.length === 0)
    throw new ProxyConfigError(`${path}.filter_chains`, 'at least one filter chain is required');
  const filterChains = chains.map((c, i) => compileFilterChain(c, `${path}.filter_chains[${i}]`));
  if (filterChains.length > 1) {
    const i = filterChains.findIndex((c) => c.tls === undefined);
    if (i >= 0) {
      throw new ProxyConfigError(
        `${path}.filter_chains[${i}].transport_socket`,
        'a listener with several filter chains selects them by SNI, so every chain needs a TLS transport_socket',
      );
    }
  }
  const first = filterChains[0] as FilterChainConfig;
  return { name, address, port, hcm: first.hcm, filterChains, source: v };
}

function listenerFilters(o: Json, path: string): void {
  arr(o, 'listener_filters', path).forEach((f, i) => {
    const p = `${path}.listener_filters[${i}]`;
    const n = str(obj(f, p, ['name', 'typed_config']), 'name', p, true);
    if (!IMPLIED_LISTENER_FILTERS.includes(n))
      throw new ProxyConfigError(`${p}.name`, `unsupported listener filter "${n}"`);
  });
}

function compileFilterChain(v: unknown, cp: string): FilterChainConfig {
  const chain = obj(v, cp, [
    'filters',
    'name',
    'filter_chain_match',
    'transport_socket',
    'transport_socket_connect_timeout',
  ]);
  const tls = compileDownstreamTransportSocket(chain.transport_socket, `${cp}.transport_socket`);
  const serverNames = chainMatch(chain.filter_chain_match, `${cp}.filter_chain_match`);
  if (serverNames.length > 0 && tls === undefined) {
    throw new ProxyConfigError(`${cp}.filter_chain_match.server_names`, 'needs a TLS transport_socket (SNI)');
  }
  // Envoy has no default; an unbounded handshake would let idle peers hold sockets forever.
  const handshakeTimeoutMs = duration(chain, 'transport_socket_connect_timeout', cp, 10_000);
  return { serverNames, tls, handshakeTimeoutMs, hcm: compileChainHcm(chain, cp) };
}

/** `filter_chain_match`: `server_names` and `transport_protocol` only. */
function chainMatch(v: unknown, path: string): string[] {
  if (v === undefined || v === null) return [];
  const m = obj(v, path, ['server_names', 'transport_protocol']);
  const tp = str(m, 'transport_protocol', path);
  if (tp !== undefined && tp !== 'tls' && tp !== 'raw_buffer')
    throw new ProxyConfigError(
      `${path}.transport_protocol`,
      `unknown transport protocol "${tp}" (tls, raw_buffer)`,
    );
  return arr(m, 'server_names', path).map((n, i) => {
    if (typeof n !== 'string') throw new ProxyConfigError(`${path}.server_names[${i}]`, 'expected a string');
    return n;
  });
}

function compileChainHcm(chain: Json, cp: string): HcmConfig {
  const filters = arr(chain, 'filters', cp);
  if (filters.length !== 1)
    throw new ProxyConfigError(
      `${cp}.filters`,
      'exactly one network filter (the HTTP connection manager) is supported',
    );
  const fp = `${cp}.filters[0]`;
  const f = obj(filters[0], fp, ['name', 'typed_config']);
  const typed = f.typed_config as Json | undefined;
  if (typed === undefined || typed === null || typeof typed !== 'object') {
    throw new ProxyConfigError(`${fp}.typed_config`, 'required field is missing');
  }
  if (typed['@type'] !== HCM_TYPE_URL) {
    throw new ProxyConfigError(
      `${fp}.typed_config.@type`,
      `unsupported network filter "${String(typed['@type'])}" (only the HTTP connection manager)`,
    );
  }
  const { '@type': _t, ...hcm } = typed;
  return compileHcm(hcm, `${fp}.typed_config`);
}

/** Reads `{socket_address: {address, port_value}}`. */
export function socketAddress(v: unknown, path: string): { address: string; port: number } {
  const o = obj(v, path, ['socket_address']);
  const sp = `${path}.socket_address`;
  const s = obj(o.socket_address, sp, ['address', 'port_value', 'protocol']);
  const protocol = str(s as Json, 'protocol', sp) ?? 'TCP';
  if (protocol !== 'TCP') throw new ProxyConfigError(`${sp}.protocol`, 'only TCP is supported');
  const port = uint(s, 'port_value', sp, 0);
  if (port > 65535) throw new ProxyConfigError(`${sp}.port_value`, 'must be at most 65535');
  return { address: str(s, 'address', sp, true), port };
}
