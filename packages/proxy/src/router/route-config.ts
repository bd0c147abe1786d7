/**
 * Envoy `config.route.v3.RouteConfiguration` compiled into an immutable {@link RouteTable}:
 * virtual hosts indexed by domain (exact, `*.suffix`, `prefix.*`, `*`, longest wildcard first,
 * as Envoy orders them), each with its ordered routes. A table is replaced as a whole when RDS
 * or the bootstrap changes it; requests keep the table they started with.
 */
import { ProxyConfigError } from '../errors.js';
import { compilePerFilterConfig } from '../filters/registry.js';
import { arr, type Json, obj, str } from '../xds/fields.js';
import { compileHeaderMutation, type HeaderMutation } from './header-mutation.js';
import { compileRetryPolicy, type RetryPolicy } from './retry-policy.js';
import { compileRoute, matchRoute, type RouteEntry } from './route-entry.js';
import type { RouteRequest } from './route-request.js';

/** A compiled virtual host. */
export interface VirtualHost {
  readonly name: string;
  readonly domains: readonly string[];
  readonly routes: readonly RouteEntry[];
  readonly requestHeaders: HeaderMutation;
  readonly responseHeaders: HeaderMutation;
  /** Default retry policy for routes that have none. */
  readonly retry: RetryPolicy | null;
  /** `require_tls: ALL`: a request not over TLS gets this 301 to its `https` URL instead of a route. */
  readonly tlsRedirect: RouteEntry | null;
}

/** A compiled route configuration. */
export interface RouteTable {
  readonly name: string;
  readonly virtualHosts: readonly VirtualHost[];
  readonly requestHeaders: HeaderMutation;
  readonly responseHeaders: HeaderMutation;
  /** Cluster names the routes reference (for validation against the cluster set). */
  readonly referencedClusters: ReadonlySet<string>;
  /** Exact domain → vhost. */
  readonly exact: ReadonlyMap<string, VirtualHost>;
  /** `*.suffix` wildcards, longest first: [suffix-with-dot, vhost]. */
  readonly suffixes: ReadonlyArray<readonly [string, VirtualHost]>;
  /** `prefix.*` wildcards, longest first: [prefix-with-dot, vhost]. */
  readonly prefixes: ReadonlyArray<readonly [string, VirtualHost]>;
  readonly fallback: VirtualHost | null;
  /** The source resource, for /config_dump. */
  readonly source: unknown;
}

const CONFIG_FIELDS = [
  'name',
  'virtual_hosts',
  'request_headers_to_add',
  'request_headers_to_remove',
  'response_headers_to_add',
  'response_headers_to_remove',
  'validate_clusters',
  'typed_per_filter_config',
];
const VHOST_FIELDS = [
  'name',
  'domains',
  'routes',
  'request_headers_to_add',
  'request_headers_to_remove',
  'response_headers_to_add',
  'response_headers_to_remove',
  'retry_policy',
  'require_tls',
  'typed_per_filter_config',
];

/** Compiles a RouteConfiguration; throws {@link ProxyConfigError} naming the bad field. */
export function compileRouteConfig(v: unknown, path: string): RouteTable {
  const o = obj(v, path, CONFIG_FIELDS);
  const perFilterConfig = compilePerFilterConfig(
    o.typed_per_filter_config,
    `${path}.typed_per_filter_config`,
  );
  const vhosts = arr(o, 'virtual_hosts', path).map((h, i) =>
    compileVirtualHost(h, `${path}.virtual_hosts[${i}]`, perFilterConfig),
  );
  const exact = new Map<string, VirtualHost>();
  const suffixes: Array<[string, VirtualHost]> = [];
  const prefixes: Array<[string, VirtualHost]> = [];
  let fallback: VirtualHost | null = null;
  const seen = new Set<string>();
  vhosts.forEach((vh, i) => {
    for (const raw of vh.domains) {
      const d = raw.toLowerCase();
      if (seen.has(d))
        throw new ProxyConfigError(
          `${path}.virtual_hosts[${i}].domains`,
          `domain "${raw}" appears in more than one virtual host`,
        );
      seen.add(d);
      if (d === '*') fallback = vh;
      else if (d.startsWith('*')) suffixes.push([d.slice(1), vh]);
      else if (d.endsWith('*')) prefixes.push([d.slice(0, -1), vh]);
      else exact.set(d, vh);
    }
  });
  suffixes.sort((a, b) => b[0].length - a[0].length);
  prefixes.sort((a, b) => b[0].length - a[0].length);
  const referenced = new Set<string>();
  for (const vh of vhosts) {
    for (const r of vh.routes) {
      if (r.action === null) continue;
      if (r.action.cluster !== '') referenced.add(r.action.cluster);
      for (const w of r.action.weighted) referenced.add(w.name);
      for (const m of r.action.mirrors) referenced.add(m.cluster);
    }
  }
  return {
    name: str(o, 'name', path) ?? '',
    virtualHosts: vhosts,
    requestHeaders: compileHeaderMutation(o as Json, 'request', path),
    responseHeaders: compileHeaderMutation(o as Json, 'response', path),
    referencedClusters: referenced,
    exact,
    suffixes,
    prefixes,
    fallback,
    source: v,
  };
}

function compileVirtualHost(
  v: unknown,
  path: string,
  configFilterConfig: ReadonlyMap<string, unknown>,
): VirtualHost {
  const o = obj(v, path, VHOST_FIELDS);
  const domains = arr(o, 'domains', path).map((d, i) => {
    if (typeof d !== 'string' || d === '')
      throw new ProxyConfigError(`${path}.domains[${i}]`, 'expected a domain');
    if (d !== '*' && d.indexOf('*') !== d.lastIndexOf('*'))
      throw new ProxyConfigError(`${path}.domains[${i}]`, 'only one wildcard is allowed');
    return d;
  });
  if (domains.length === 0) throw new ProxyConfigError(`${path}.domains`, 'at least one domain is required');
  const perFilterConfig = compilePerFilterConfig(
    o.typed_per_filter_config,
    `${path}.typed_per_filter_config`,
  );
  const inherited = [perFilterConfig, configFilterConfig];
  return {
    name: str(o, 'name', path, true),
    domains,
    routes: arr(o, 'routes', path).map((r, i) => compileRoute(r, `${path}.routes[${i}]`, inherited)),
    requestHeaders: compileHeaderMutation(o as Json, 'request', path),
    responseHeaders: compileHeaderMutation(o as Json, 'response', path),
    retry: o.retry_policy !== undefined ? compileRetryPolicy(o.retry_policy, `${path}.retry_policy`) : null,
    tlsRedirect: compileRequireTls(o as Json, path, inherited),
  };
}

/** Envoy answers plaintext requests to an `ALL` virtual host with a 301 to the same URL over https. */
function compileRequireTls(
  o: Json,
  path: string,
  inherited: readonly ReadonlyMap<string, unknown>[],
): RouteEntry | null {
  const mode = str(o, 'require_tls', path) ?? 'NONE';
  if (mode === 'NONE') return null;
  if (mode !== 'ALL')
    throw new ProxyConfigError(`${path}.require_tls`, `unsupported value "${mode}" (NONE or ALL)`);
  const redirect = { name: 'require_tls', match: { prefix: '/' }, redirect: { https_redirect: true } };
  return compileRoute(redirect, `${path}.require_tls`, inherited);
}

/** Picks the virtual host for an authority (port ignored unless a domain names it). */
export function selectVirtualHost(t: RouteTable, authority: string): VirtualHost | null {
  const a = authority.toLowerCase();
  let vh = t.exact.get(a);
  if (vh !== undefined) return vh;
  const colon = a.lastIndexOf(':');
  const host = colon > 0 && a.indexOf(']') < colon ? a.slice(0, colon) : a;
  if (host !== a) {
    vh = t.exact.get(host);
    if (vh !== undefined) return vh;
  }
  for (const [suffix, v] of t.suffixes) if (host.endsWith(suffix) && host.length > suffix.length) return v;
  for (const [prefix, v] of t.prefixes) if (host.startsWith(prefix) && host.length > prefix.length) return v;
  return t.fallback;
}

/** The route for a request, with its virtual host; null when nothing matches (404, flag `NR`). */
export function matchRequest(
  t: RouteTable,
  req: RouteRequest,
): { vhost: VirtualHost; route: RouteEntry } | null {
  const vhost = selectVirtualHost(t, req.authority);
  if (vhost === null) return null;
  if (vhost.tlsRedirect !== null && req.scheme !== 'https') return { vhost, route: vhost.tlsRedirect };
  for (const route of vhost.routes) if (matchRoute(route, req)) return { vhost, route };
  return null;
}
