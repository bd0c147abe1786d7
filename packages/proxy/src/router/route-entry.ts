/**
 * One Envoy `config.route.v3.Route`, compiled: its match (path, headers, query, gRPC) and its
 * action (route to cluster(s), redirect, or direct response).
 */
import { ProxyConfigError } from '../errors.js';
import { compilePerFilterConfig } from '../filters/registry.js';
import { arr, bool, type Json, obj, str } from '../xds/fields.js';
import {
  compileHeaderMatcher,
  compileQueryMatcher,
  type HeaderMatcher,
  matchHeader,
  matchQuery,
  type QueryMatcher,
} from './header-matcher.js';
import { compileHeaderMutation, type HeaderMutation } from './header-mutation.js';
import {
  compileDirectResponse,
  compileRedirect,
  type DirectResponse,
  type Redirect,
} from './local-actions.js';
import { compileRouteAction, type RouteAction } from './route-action.js';
import { headerValue, type RouteRequest } from './route-request.js';
import { compileSafeRegex } from './string-matcher.js';

/** A compiled route. */
export interface RouteEntry {
  readonly name: string;
  readonly pathKind: 'prefix' | 'path' | 'regex' | 'separated';
  readonly pathValue: string;
  readonly caseSensitive: boolean;
  readonly pathRegex: RegExp | null;
  readonly headers: readonly HeaderMatcher[];
  readonly query: readonly QueryMatcher[];
  readonly grpcOnly: boolean;
  readonly action: RouteAction | null;
  readonly redirect: Redirect | null;
  readonly directResponse: DirectResponse | null;
  readonly requestHeaders: HeaderMutation;
  readonly responseHeaders: HeaderMutation;
  /**
   * The compiled `typed_per_filter_config` of this route, its virtual host and its route
   * configuration (keyed by filter name; each filter's factory compiles its own), most specific
   * first: a filter takes the first level that has its entry (fault) or merges them (CORS).
   */
  readonly perFilterConfigs: readonly ReadonlyMap<string, unknown>[];
}

const ROUTE_FIELDS = [
  'name',
  'match',
  'route',
  'redirect',
  'direct_response',
  'request_headers_to_add',
  'request_headers_to_remove',
  'response_headers_to_add',
  'response_headers_to_remove',
  'typed_per_filter_config',
  'metadata',
];
const MATCH_FIELDS = [
  'prefix',
  'path',
  'safe_regex',
  'path_separated_prefix',
  'case_sensitive',
  'headers',
  'query_parameters',
  'grpc',
];

/**
 * Compiles one route; `inherited` holds the per-filter configs of its virtual host and route
 * configuration (most specific first).
 */
export function compileRoute(
  v: unknown,
  path: string,
  inherited: readonly ReadonlyMap<string, unknown>[] = [],
): RouteEntry {
  const o = obj(v, path, ROUTE_FIELDS);
  const m = obj(o.match, `${path}.match`, MATCH_FIELDS);
  const mp = `${path}.match`;
  const kinds = ['prefix', 'path', 'safe_regex', 'path_separated_prefix'].filter((k) => m[k] !== undefined);
  if (kinds.length !== 1)
    throw new ProxyConfigError(
      mp,
      'exactly one of prefix, path, safe_regex, path_separated_prefix is required',
    );
  const caseSensitive = bool(m, 'case_sensitive', mp, true);
  const kind = kinds[0];
  let pathRegex: RegExp | null = null;
  let pathValue = '';
  if (kind === 'safe_regex') pathRegex = compileSafeRegex(m.safe_regex, `${mp}.safe_regex`);
  else {
    pathValue = str(m, kind, mp, true);
    if (!caseSensitive) pathValue = pathValue.toLowerCase();
  }
  const actions = ['route', 'redirect', 'direct_response'].filter((k) => o[k] !== undefined);
  if (actions.length !== 1)
    throw new ProxyConfigError(path, 'exactly one of route, redirect, direct_response is required');
  const perFilterConfig = compilePerFilterConfig(
    o.typed_per_filter_config,
    `${path}.typed_per_filter_config`,
  );
  return {
    name: str(o, 'name', path) ?? '',
    pathKind:
      kind === 'safe_regex'
        ? 'regex'
        : kind === 'path_separated_prefix'
          ? 'separated'
          : (kind as 'prefix' | 'path'),
    pathValue,
    caseSensitive,
    pathRegex,
    headers: arr(m, 'headers', mp).map((h, i) => compileHeaderMatcher(h, `${mp}.headers[${i}]`)),
    query: arr(m, 'query_parameters', mp).map((q, i) =>
      compileQueryMatcher(q, `${mp}.query_parameters[${i}]`),
    ),
    grpcOnly: m.grpc !== undefined,
    action: o.route !== undefined ? compileRouteAction(o.route, `${path}.route`) : null,
    redirect: o.redirect !== undefined ? compileRedirect(o.redirect, `${path}.redirect`) : null,
    directResponse:
      o.direct_response !== undefined
        ? compileDirectResponse(o.direct_response, `${path}.direct_response`)
        : null,
    requestHeaders: compileHeaderMutation(o as Json, 'request', path),
    responseHeaders: compileHeaderMutation(o as Json, 'response', path),
    perFilterConfigs: [perFilterConfig, ...inherited],
  };
}

/** True when `r` matches `req`. */
export function matchRoute(r: RouteEntry, req: RouteRequest): boolean {
  const p = r.caseSensitive ? req.path : req.path.toLowerCase();
  switch (r.pathKind) {
    case 'prefix':
      if (!p.startsWith(r.pathValue)) return false;
      break;
    case 'path':
      if (p !== r.pathValue) return false;
      break;
    case 'separated':
      if (!p.startsWith(r.pathValue)) return false;
      if (p.length > r.pathValue.length && p.charCodeAt(r.pathValue.length) !== 0x2f) return false;
      break;
    default:
      if (!r.pathRegex!.test(req.path)) return false;
  }
  for (const h of r.headers) if (!matchHeader(h, req)) return false;
  for (const q of r.query) if (!matchQuery(q, req)) return false;
  if (r.grpcOnly) {
    const ct = headerValue(req, 'content-type');
    if (ct === undefined || !ct.startsWith('application/grpc')) return false;
  }
  return true;
}
