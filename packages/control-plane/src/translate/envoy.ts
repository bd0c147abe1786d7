/**
 * Small builders for canonical Envoy v3 JSON (proto3 JSON with snake_case names, durations as
 * `"1.5s"`, wrappers as plain values, `Any` as `{ "@type": … }`). The translator emits only this
 * form; encoding to protobuf is the ADS server's concern.
 */

/** An Envoy resource (or message) in canonical JSON. */
export type EnvoyJson = Record<string, unknown>;

/** Type URLs of the extension configs the translator embeds. */
export const EXTENSION_TYPES = {
  HTTP_CONNECTION_MANAGER:
    'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
  ROUTER: 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router',
  FAULT: 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault',
  CORS: 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors',
  CORS_POLICY: 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.CorsPolicy',
  TCP_PROXY: 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy',
  TLS_INSPECTOR: 'type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector',
} as const;

/** Well-known filter names, as Envoy registers them. */
export const FILTER_NAMES = {
  HTTP_CONNECTION_MANAGER: 'envoy.filters.network.http_connection_manager',
  ROUTER: 'envoy.filters.http.router',
  FAULT: 'envoy.filters.http.fault',
  CORS: 'envoy.filters.http.cors',
  TCP_PROXY: 'envoy.filters.network.tcp_proxy',
  TLS_INSPECTOR: 'envoy.filters.listener.tls_inspector',
} as const;

/** A duration in milliseconds as proto3 JSON (`1500` → `"1.5s"`). */
export function durationJson(ms: number): string {
  return `${Math.max(0, ms) / 1000}s`;
}

/**
 * An Istio percentage (0–100, fractional allowed) as an Envoy `FractionalPercent`. Istio scales
 * to a MILLION denominator so that `0.1` survives; we do the same.
 */
export function fractionalPercent(percent: number): EnvoyJson {
  const clamped = Math.min(100, Math.max(0, percent));
  return { numerator: Math.round(clamped * 10_000), denominator: 'MILLION' };
}

/** A config source pointing back at the ADS stream the proxy already has open. */
export function adsConfigSource(): EnvoyJson {
  return { ads: {}, resource_api_version: 'V3' };
}

/** A TCP socket address. */
export function socketAddress(address: string, port: number): EnvoyJson {
  return { socket_address: { address, port_value: port } };
}

/** The router filter; always the last HTTP filter of a connection manager. */
export function routerFilter(): EnvoyJson {
  return { name: FILTER_NAMES.ROUTER, typed_config: { '@type': EXTENSION_TYPES.ROUTER } };
}

/**
 * The fault filter with an empty top-level config: it does nothing until a route enables it
 * through `typed_per_filter_config`, which is how Istio injects per-route faults.
 */
export function faultFilter(): EnvoyJson {
  return { name: FILTER_NAMES.FAULT, typed_config: { '@type': EXTENSION_TYPES.FAULT } };
}

/** The CORS filter; inert until a route carries a `CorsPolicy` in `typed_per_filter_config`. */
export function corsFilter(): EnvoyJson {
  return { name: FILTER_NAMES.CORS, typed_config: { '@type': EXTENSION_TYPES.CORS } };
}

/**
 * The HTTP filter chain every connection manager gets: CORS and fault (both inert until a route
 * configures them), then the router — Istio's order, so a preflight is answered before any
 * injected fault. Proxyless gRPC clients get no CORS filter (gRPC has none, and browsers do not
 * call them).
 */
export function httpFilters(proxyless = false): EnvoyJson[] {
  return proxyless ? [faultFilter(), routerFilter()] : [corsFilter(), faultFilter(), routerFilter()];
}

/** An HTTP connection manager whose routes come over RDS (ADS) under `routeConfigName`. */
export function hcmWithRds(statPrefix: string, routeConfigName: string, proxyless = false): EnvoyJson {
  return {
    '@type': EXTENSION_TYPES.HTTP_CONNECTION_MANAGER,
    stat_prefix: statPrefix,
    rds: { route_config_name: routeConfigName, config_source: adsConfigSource() },
    http_filters: httpFilters(proxyless),
  };
}

/** An HTTP connection manager with an inline route configuration. */
export function hcmWithRouteConfig(statPrefix: string, routeConfig: EnvoyJson): EnvoyJson {
  return {
    '@type': EXTENSION_TYPES.HTTP_CONNECTION_MANAGER,
    stat_prefix: statPrefix,
    route_config: routeConfig,
    http_filters: httpFilters(),
  };
}

/** The listener filter that reads the ClientHello's SNI, for chains chosen by `server_names`. */
export function tlsInspector(): EnvoyJson {
  return { name: FILTER_NAMES.TLS_INSPECTOR, typed_config: { '@type': EXTENSION_TYPES.TLS_INSPECTOR } };
}

/** A network filter chain holding one HTTP connection manager. */
export function hcmFilterChain(hcm: EnvoyJson): EnvoyJson {
  return { filters: [{ name: FILTER_NAMES.HTTP_CONNECTION_MANAGER, typed_config: hcm }] };
}

/** gRPC status names (as Istio's `grpcStatus` spells them) to their numeric codes. */
export const GRPC_STATUS_CODES: Readonly<Record<string, number>> = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
};
