/**
 * Envoy `config.listener.v3.Listener`, compiled: the bind address and its filter chains, each an
 * HTTP connection manager or a TCP proxy, with an optional TLS `transport_socket`. Several chains
 * are told apart by `filter_chain_match` (`destination_port`, `server_names`,
 * `transport_protocol`); when that needs the ClientHello before TLS is terminated (or when TLS is
 * passed through untouched), the listener inspects it first. Anything this subset cannot honour
 * is rejected by name.
 */
import { ProxyConfigError } from '../errors.js';
import { compileHcm, HCM_TYPE_URL, type HcmConfig } from '../http/connection-manager-config.js';
import { compileTcpProxy, TCP_PROXY_TYPE_URL, type TcpProxyConfig } from '../tcp/tcp-proxy-config.js';
import { compileDownstreamTransportSocket, type DownstreamTlsConfig } from '../tls/downstream-tls-context.js';
import { arr, duration, type Json, obj, str, uint } from '../xds/fields.js';
import { FilterChainSelector } from './filter-chain-match.js';

/** One compiled filter chain. */
export interface FilterChainConfig {
  /** `filter_chain_match.server_names` (empty: the default chain). */
  readonly serverNames: readonly string[];
  /** `filter_chain_match.transport_protocol` (`tls` / `raw_buffer`), undefined when unset. */
  readonly transportProtocol: 'tls' | 'raw_buffer' | undefined;
  /** `filter_chain_match.destination_port`, undefined when unset. */
  readonly destinationPort: number | undefined;
  /** `transport_socket` (DownstreamTlsContext), or undefined for plaintext. */
  readonly tls: DownstreamTlsConfig | undefined;
  /** `transport_socket_connect_timeout`: the TLS handshake must finish within it (default 10 s). */
  readonly handshakeTimeoutMs: number;
  /** The chain's HTTP connection manager; undefined when its network filter is the TCP proxy. */
  readonly hcm: HcmConfig | undefined;
  /** The chain's TCP proxy; undefined when its network filter is the HTTP connection manager. */
  readonly tcpProxy: TcpProxyConfig | undefined;
}

/** A compiled listener. */
export interface ListenerConfig {
  readonly name: string;
  readonly address: string;
  /** 0 picks an ephemeral port (tests). */
  readonly port: number;
  /** The first filter chain's HCM, if that chain is an HTTP one. */
  readonly hcm: HcmConfig | undefined;
  /**
   * Every filter chain, in config order, then the `default_filter_chain` if there is one;
   * `filterChains[0].hcm === hcm`.
   */
  readonly filterChains: readonly FilterChainConfig[];
  /** Index of `default_filter_chain` in {@link filterChains} (taken when no chain matches), or -1. */
  readonly defaultChain: number;
  /**
   * Set when chains are chosen before any TLS is terminated (the TLS inspector runs first): a
   * chain matches on `transport_protocol` or `destination_port`, passes TLS through, or plaintext
   * and TLS chains share the listener. Null: one chain, or all chains terminate TLS and SNI
   * selects among them during the handshake.
   */
  readonly selector: FilterChainSelector | null;
  /** The source resource, for /config_dump. */
  readonly source: unknown;
}

const LISTENER_FIELDS = [
  'name',
  'address',
  'filter_chains',
  'default_filter_chain',
  'traffic_direction',
  'listener_filters',
];
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
  const fallback = defaultChain(o.default_filter_chain, `${path}.default_filter_chain`);
  if (chains.length === 0 && fallback === undefined)
    throw new ProxyConfigError(`${path}.filter_chains`, 'at least one filter chain is required');
  const matched = chains.map((c, i) => compileFilterChain(c, `${path}.filter_chains[${i}]`));
  // Built for every listener so that ambiguous chains fail here, whichever path serves them.
  const selector = new FilterChainSelector(matched, `${path}.filter_chains`);
  const filterChains = fallback === undefined ? matched : [...matched, fallback];
  const first = filterChains[0] as FilterChainConfig;
  // A default chain beside matched ones is only reachable by choosing chains from the first bytes.
  const inspect = needsInspection(matched) || (fallback !== undefined && matched.length > 0);
  return {
    name,
    address,
    port,
    hcm: first.hcm,
    filterChains,
    defaultChain: fallback === undefined ? -1 : matched.length,
    selector: inspect ? selector : null,
    source: v,
  };
}

/** `default_filter_chain`: a chain whose `filter_chain_match` is not consulted. */
function defaultChain(v: unknown, path: string): FilterChainConfig | undefined {
  if (v === undefined || v === null) return undefined;
  const chain = compileFilterChain(v, path);
  return { ...chain, serverNames: [], transportProtocol: undefined, destinationPort: undefined };
}

/** Whether chains must be chosen from the raw first bytes rather than inside a TLS handshake. */
function needsInspection(chains: readonly FilterChainConfig[]): boolean {
  if (chains.length === 0) return false;
  const allTls = chains.every((c) => c.tls !== undefined);
  if (allTls)
    return chains.some((c) => c.destinationPort !== undefined || c.transportProtocol === 'raw_buffer');
  if (chains.length > 1) return true;
  const c = chains[0] as FilterChainConfig;
  return c.serverNames.length > 0 || c.transportProtocol !== undefined || c.destinationPort !== undefined;
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
  const match = chainMatch(chain.filter_chain_match, `${cp}.filter_chain_match`);
  // Envoy has no default; an unbounded handshake would let idle peers hold sockets forever.
  const handshakeTimeoutMs = duration(chain, 'transport_socket_connect_timeout', cp, 10_000);
  const { hcm, tcpProxy } = compileNetworkFilter(chain, cp);
  // Without TLS termination an HTTP chain would be handed encrypted bytes; a TCP proxy passes them through.
  if (match.serverNames.length > 0 && tls === undefined && hcm !== undefined) {
    throw new ProxyConfigError(`${cp}.filter_chain_match.server_names`, 'needs a TLS transport_socket (SNI)');
  }
  return { ...match, tls, handshakeTimeoutMs, hcm, tcpProxy };
}

/** `filter_chain_match`: `destination_port`, `server_names` and `transport_protocol` only. */
function chainMatch(
  v: unknown,
  path: string,
): Pick<FilterChainConfig, 'serverNames' | 'transportProtocol' | 'destinationPort'> {
  if (v === undefined || v === null)
    return { serverNames: [], transportProtocol: undefined, destinationPort: undefined };
  const m = obj(v, path, ['server_names', 'transport_protocol', 'destination_port']);
  const tp = str(m, 'transport_protocol', path);
  if (tp !== undefined && tp !== '' && tp !== 'tls' && tp !== 'raw_buffer')
    throw new ProxyConfigError(
      `${path}.transport_protocol`,
      `unknown transport protocol "${tp}" (tls, raw_buffer)`,
    );
  const hasPort = m.destination_port !== undefined && m.destination_port !== null;
  const destinationPort = hasPort ? uint(m, 'destination_port', path, 0) : undefined;
  if (destinationPort !== undefined && (destinationPort < 1 || destinationPort > 65535))
    throw new ProxyConfigError(`${path}.destination_port`, 'must be between 1 and 65535');
  const serverNames = arr(m, 'server_names', path).map((n, i) => {
    if (typeof n !== 'string') throw new ProxyConfigError(`${path}.server_names[${i}]`, 'expected a string');
    return n;
  });
  return { serverNames, transportProtocol: tp === '' ? undefined : tp, destinationPort };
}

/** The chain's one network filter: the HTTP connection manager or the TCP proxy. */
function compileNetworkFilter(
  chain: Json,
  cp: string,
): { hcm: HcmConfig | undefined; tcpProxy: TcpProxyConfig | undefined } {
  const filters = arr(chain, 'filters', cp);
  if (filters.length !== 1)
    throw new ProxyConfigError(
      `${cp}.filters`,
      'exactly one network filter (the HTTP connection manager or the TCP proxy) is supported',
    );
  const fp = `${cp}.filters[0]`;
  const f = obj(filters[0], fp, ['name', 'typed_config']);
  const typed = f.typed_config as Json | undefined;
  if (typed === undefined || typed === null || typeof typed !== 'object') {
    throw new ProxyConfigError(`${fp}.typed_config`, 'required field is missing');
  }
  const tp = `${fp}.typed_config`;
  if (typed['@type'] === TCP_PROXY_TYPE_URL) return { hcm: undefined, tcpProxy: compileTcpProxy(typed, tp) };
  if (typed['@type'] !== HCM_TYPE_URL) {
    throw new ProxyConfigError(
      `${tp}.@type`,
      `unsupported network filter "${String(typed['@type'])}" (the HTTP connection manager or the TCP proxy)`,
    );
  }
  const { '@type': _t, ...hcm } = typed;
  return { hcm: compileHcm(hcm, tp), tcpProxy: undefined };
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
