/**
 * Istio `HTTPRoute` → Envoy `Route`s (one per match alternative): forwarding with weighted
 * clusters, timeouts, retries, fault injection, mirroring, rewrites, redirects, direct responses
 * and header manipulation, in the shapes Istio's own translation produces.
 */
import { durationMs, parseDurationMs } from '../resources/duration.js';
import type {
  CorsPolicy,
  Destination,
  HeaderOperations,
  HTTPFaultInjection,
  HTTPRedirect,
  HTTPRetry,
  HTTPRoute,
} from '../resources/istio-networking.js';
import {
  durationJson,
  type EnvoyJson,
  EXTENSION_TYPES,
  FILTER_NAMES,
  fractionalPercent,
  GRPC_STATUS_CODES,
} from './envoy.js';
import { routeMatch, stringMatcher } from './route-match.js';

/** What a route needs to know about the world to name clusters and hash policies. */
export interface RouteContext {
  /** Namespace of the VirtualService: short destination hosts resolve in it. */
  namespace: string;
  /** The cluster a destination resolves to. */
  clusterOf(destination: Destination): string;
  /** Envoy `hash_policy` for a destination whose DestinationRule asks for consistent hashing. */
  hashPolicyOf(destination: Destination): EnvoyJson[] | undefined;
  /** Proxyless gRPC clients accept only forwarding routes; redirects and direct responses are dropped. */
  proxyless: boolean;
}

/** Istio's retry policy when a route names none: two attempts on connection-level failures and 503. */
export const DEFAULT_RETRY: HTTPRetry = {
  attempts: 2,
  retryOn: 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes,503',
};

/** Translates one Istio HTTP route; an empty array when it cannot be expressed for this client. */
export function translateHttpRoute(route: HTTPRoute, index: number, ctx: RouteContext): EnvoyJson[] {
  if (ctx.proxyless && (route.redirect || route.directResponse)) return [];
  const base = routeBody(route, ctx);
  const matches = route.match && route.match.length > 0 ? route.match : [undefined];
  return matches.map((m, i) => {
    const name = m?.name ?? route.name ?? `route-${index}`;
    return { name: matches.length > 1 ? `${name}.${i}` : name, match: routeMatch(m), ...base };
  });
}

function routeBody(route: HTTPRoute, ctx: RouteContext): EnvoyJson {
  const out: EnvoyJson = {};
  if (route.redirect) out.redirect = redirectAction(route.redirect);
  else if (route.directResponse) {
    const body = route.directResponse.body;
    out.direct_response = {
      status: route.directResponse.status,
      ...(body?.string !== undefined ? { body: { inline_string: body.string } } : {}),
      ...(body?.bytes !== undefined ? { body: { inline_bytes: body.bytes } } : {}),
    };
  } else out.route = forwardAction(route, ctx);
  addHeaderOps(out, route.headers?.request, 'request');
  addHeaderOps(out, route.headers?.response, 'response');
  if (route.route?.length === 1) {
    addHeaderOps(out, route.route[0].headers?.request, 'request');
    addHeaderOps(out, route.route[0].headers?.response, 'response');
  }
  const perFilter: EnvoyJson = {};
  if (route.fault && out.route) {
    const fault = faultConfig(route.fault);
    if (fault) perFilter[FILTER_NAMES.FAULT] = fault;
  }
  if (route.corsPolicy && !ctx.proxyless) perFilter[FILTER_NAMES.CORS] = corsPolicyConfig(route.corsPolicy);
  if (Object.keys(perFilter).length > 0) out.typed_per_filter_config = perFilter;
  return out;
}

/**
 * Istio `CorsPolicy` → Envoy `CorsPolicy` (per route, as Istio sets it): origins as string
 * matchers (the deprecated `allowOrigin` as exact ones), lists joined with commas, `maxAge` in
 * seconds, and preflights from other origins forwarded unless `unmatchedPreflights: IGNORE`.
 */
export function corsPolicyConfig(cors: CorsPolicy): EnvoyJson {
  const origins = [
    ...(cors.allowOrigins ?? []).map((m) => stringMatcher(m)).filter((m) => m !== undefined),
    ...(cors.allowOrigin ?? []).map((exact) => ({ exact })),
  ];
  const out: EnvoyJson = { '@type': EXTENSION_TYPES.CORS_POLICY, allow_origin_string_match: origins };
  if (cors.allowMethods?.length) out.allow_methods = cors.allowMethods.join(',');
  if (cors.allowHeaders?.length) out.allow_headers = cors.allowHeaders.join(',');
  if (cors.exposeHeaders?.length) out.expose_headers = cors.exposeHeaders.join(',');
  if (cors.maxAge !== undefined) out.max_age = String(Math.floor(durationMs(cors.maxAge) / 1000));
  if (cors.allowCredentials !== undefined) out.allow_credentials = cors.allowCredentials;
  out.forward_not_matching_preflights = cors.unmatchedPreflights !== 'IGNORE';
  return out;
}

function forwardAction(route: HTTPRoute, ctx: RouteContext): EnvoyJson {
  const dests = route.route ?? [];
  const action: EnvoyJson = {};
  if (dests.length === 1) action.cluster = ctx.clusterOf(dests[0].destination);
  else if (dests.length > 1) action.weighted_clusters = weightedClusters(route, ctx);
  const timeoutMs = route.timeout === undefined ? undefined : parseDurationMs(route.timeout);
  // Istio disables Envoy's 15 s default route timeout unless the rule sets one.
  action.timeout = durationJson(timeoutMs ?? 0);
  const retry = retryPolicy(route.retries ?? DEFAULT_RETRY);
  if (retry) action.retry_policy = retry;
  if (route.mirror) {
    const percent = route.mirrorPercentage?.value ?? route.mirrorPercent ?? 100;
    action.request_mirror_policies = [
      {
        cluster: ctx.clusterOf(route.mirror),
        runtime_fraction: { default_value: fractionalPercent(percent) },
      },
    ];
  }
  if (route.rewrite?.uri !== undefined) action.prefix_rewrite = route.rewrite.uri;
  if (route.rewrite?.uriRegexRewrite) {
    const r = route.rewrite.uriRegexRewrite;
    action.regex_rewrite = { pattern: { regex: r.match }, substitution: r.rewrite };
  }
  if (route.rewrite?.authority !== undefined) action.host_rewrite_literal = route.rewrite.authority;
  const first = dests[0]?.destination;
  const hash = first ? ctx.hashPolicyOf(first) : undefined;
  if (hash) action.hash_policy = hash;
  return action;
}

function weightedClusters(route: HTTPRoute, ctx: RouteContext): EnvoyJson {
  const dests = route.route ?? [];
  const anyWeight = dests.some((d) => d.weight !== undefined);
  const clusters = dests.map((d) => {
    const entry: EnvoyJson = { name: ctx.clusterOf(d.destination), weight: anyWeight ? (d.weight ?? 0) : 1 };
    addHeaderOps(entry, d.headers?.request, 'request');
    addHeaderOps(entry, d.headers?.response, 'response');
    return entry;
  });
  // Envoy rejects a weighted_clusters entry of weight 0 only in old versions; drop them to be safe.
  const live = clusters.filter((c) => (c.weight as number) > 0);
  return { clusters: live.length > 0 ? live : clusters };
}

/** Envoy `RetryPolicy` from Istio retries; `undefined` when retries are off. */
export function retryPolicy(retry: HTTPRetry): EnvoyJson | undefined {
  if (!retry.attempts || retry.attempts <= 0) return undefined;
  const out: EnvoyJson = { num_retries: retry.attempts };
  const conditions: string[] = [];
  const codes: number[] = [];
  for (const part of (retry.retryOn ?? DEFAULT_RETRY.retryOn ?? '').split(',')) {
    const token = part.trim();
    if (!token) continue;
    if (/^\d{3}$/.test(token)) codes.push(Number(token));
    else if (!conditions.includes(token)) conditions.push(token);
  }
  if (codes.length > 0 && !conditions.includes('retriable-status-codes'))
    conditions.push('retriable-status-codes');
  if (conditions.length > 0) out.retry_on = conditions.join(',');
  if (codes.length > 0) out.retriable_status_codes = codes;
  const perTryMs = retry.perTryTimeout === undefined ? undefined : parseDurationMs(retry.perTryTimeout);
  if (perTryMs !== undefined && perTryMs > 0) out.per_try_timeout = durationJson(perTryMs);
  return out;
}

/** The per-route `HTTPFault` config; `undefined` when the fault sets nothing. */
export function faultConfig(fault: HTTPFaultInjection): EnvoyJson | undefined {
  const out: EnvoyJson = { '@type': EXTENSION_TYPES.FAULT };
  if (fault.delay) {
    const delayMs = parseDurationMs(fault.delay.fixedDelay) ?? 0;
    const percent = fault.delay.percentage?.value ?? fault.delay.percent ?? 100;
    out.delay = { fixed_delay: durationJson(delayMs), percentage: fractionalPercent(percent) };
  }
  if (fault.abort) {
    const percent = fault.abort.percentage?.value ?? 100;
    const abort: EnvoyJson = { percentage: fractionalPercent(percent) };
    if (fault.abort.grpcStatus !== undefined) abort.grpc_status = grpcStatusCode(fault.abort.grpcStatus);
    else abort.http_status = fault.abort.httpStatus ?? 500;
    out.abort = abort;
  }
  return out.delay || out.abort ? out : undefined;
}

function grpcStatusCode(status: string): number {
  const byName = GRPC_STATUS_CODES[status.toUpperCase()];
  if (byName !== undefined) return byName;
  const n = Number(status);
  return Number.isInteger(n) ? n : GRPC_STATUS_CODES.UNKNOWN;
}

const REDIRECT_CODES: Record<number, string> = {
  301: 'MOVED_PERMANENTLY',
  302: 'FOUND',
  303: 'SEE_OTHER',
  307: 'TEMPORARY_REDIRECT',
  308: 'PERMANENT_REDIRECT',
};

function redirectAction(r: HTTPRedirect): EnvoyJson {
  const out: EnvoyJson = { response_code: REDIRECT_CODES[r.redirectCode ?? 301] ?? 'MOVED_PERMANENTLY' };
  if (r.uri !== undefined) out.path_redirect = r.uri;
  if (r.authority !== undefined) out.host_redirect = r.authority;
  if (r.port !== undefined) out.port_redirect = r.port;
  if (r.scheme !== undefined) out.scheme_redirect = r.scheme;
  return out;
}

/** Adds Istio header operations to a Route or WeightedCluster entry. */
function addHeaderOps(
  target: EnvoyJson,
  ops: HeaderOperations | undefined,
  side: 'request' | 'response',
): void {
  if (!ops) return;
  const toAdd = (target[`${side}_headers_to_add`] as EnvoyJson[] | undefined) ?? [];
  for (const [key, value] of Object.entries(ops.set ?? {})) {
    toAdd.push({ header: { key, value }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' });
  }
  for (const [key, value] of Object.entries(ops.add ?? {})) {
    toAdd.push({ header: { key, value }, append_action: 'APPEND_IF_EXISTS_OR_ADD' });
  }
  if (toAdd.length > 0) target[`${side}_headers_to_add`] = toAdd;
  if (ops.remove && ops.remove.length > 0) {
    const prev = (target[`${side}_headers_to_remove`] as string[] | undefined) ?? [];
    target[`${side}_headers_to_remove`] = [...prev, ...ops.remove];
  }
}

/** The default route of a service with no VirtualService: everything to its cluster. */
export function defaultRoute(cluster: string, hashPolicy: EnvoyJson[] | undefined): EnvoyJson {
  const action: EnvoyJson = { cluster, timeout: '0s' };
  const retry = retryPolicy(DEFAULT_RETRY);
  if (retry) action.retry_policy = retry;
  if (hashPolicy) action.hash_policy = hashPolicy;
  return { name: 'default', match: { prefix: '/' }, route: action };
}
