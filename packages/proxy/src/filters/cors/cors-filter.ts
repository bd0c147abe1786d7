/**
 * `envoy.filters.http.cors`: answers CORS preflights locally and adds the CORS response headers
 * to actual requests, following the {@link CorsPolicy} of the matched route, its virtual host or
 * its route configuration (`typed_per_filter_config["envoy.filters.http.cors"]`). The filter's
 * own config (`envoy.extensions.filters.http.cors.v3.Cors`) is empty; with no policy anywhere
 * the filter does nothing.
 */
import type { ActiveStream } from '../../http/active-stream.js';
import type { HttpConnectionManager } from '../../http/connection-manager.js';
import { indexOfHeader, setHeader } from '../../router/header-mutation.js';
import type { RouteEntry } from '../../router/route-entry.js';
import { matchString } from '../../router/string-matcher.js';
import type { Counter } from '../../stats/stats.js';
import type { FilterStatus, FilterStream, HttpFilter, HttpFilterFactory } from '../filter.js';
import { FILTER_DISABLED } from '../registry.js';
import {
  type CorsPolicy,
  checkCorsFilterConfig,
  compileCorsPolicy,
  type EffectiveCorsPolicy,
  mergeCorsPolicies,
} from './config.js';

/** The Envoy name of this filter. */
export const CORS_FILTER_NAME = 'envoy.filters.http.cors';
const TYPE_URL = 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors';

/** `<stat_prefix>.cors.*` counters of one connection manager. */
interface CorsStats {
  readonly originValid: Counter;
  readonly originInvalid: Counter;
}

/** The CORS filter; `random` is injectable so tests decide the `filter_enabled` rolls. */
export class CorsFilter implements HttpFilter {
  readonly name = CORS_FILTER_NAME;
  /** Each route's merged policy, computed on its first request (routes are immutable). */
  private readonly policies = new WeakMap<RouteEntry, EffectiveCorsPolicy | null>();
  /** The allowed origin of a request the policy is enforced on, echoed on its response. */
  private readonly latchedOrigins = new WeakMap<FilterStream, string>();
  private readonly stats = new WeakMap<HttpConnectionManager, CorsStats>();

  constructor(private readonly random: () => number = Math.random) {}

  decodeHeaders(stream: FilterStream): FilterStatus {
    // As Envoy: only routes that go upstream (not redirects or direct responses) carry CORS.
    const route = stream.route;
    if (route === null || route.action === null) return 'continue';
    const policy = this.policyFor(route);
    if (policy === null) return 'continue';
    const enabled = roll(policy.enabledFraction, this.random);
    if (!enabled && !roll(policy.shadowFraction, this.random)) return 'continue';
    const headers = stream.requestHeaders;
    const origin = headerValue(headers, 'origin');
    if (origin === '') return 'continue';
    const allowed = isOriginAllowed(policy, origin);
    this.countOrigin(stream, allowed);
    // Shadow mode evaluates and counts, never enforces.
    if (!enabled) return 'continue';
    if (allowed) this.latchedOrigins.set(stream, origin);
    if (stream.method !== 'OPTIONS') return 'continue';
    const requestMethod = headerValue(headers, 'access-control-request-method');
    if (requestMethod === '') return 'continue';
    if (!allowed && policy.forwardNotMatchingPreflights) return 'continue';
    answerPreflight(stream, policy, allowed ? origin : '', requestMethod);
    return 'stop';
  }

  encodeHeaders(stream: FilterStream, _status: number, headers: string[]): void {
    const origin = this.latchedOrigins.get(stream);
    if (origin === undefined) return;
    const policy = this.policies.get(stream.route!)!;
    setHeader(headers, 'access-control-allow-origin', origin);
    if (policy.allowCredentials) setHeader(headers, 'access-control-allow-credentials', 'true');
    if (policy.exposeHeaders !== '')
      setHeader(headers, 'access-control-expose-headers', policy.exposeHeaders);
  }

  private policyFor(route: RouteEntry): EffectiveCorsPolicy | null {
    let policy = this.policies.get(route);
    if (policy === undefined) {
      const levels: CorsPolicy[] = [];
      for (const m of route.perFilterConfigs) {
        const p = m.get(CORS_FILTER_NAME) as CorsPolicy | typeof FILTER_DISABLED | undefined;
        // A FilterConfig `disabled: true` turns CORS off here; less specific levels do not count.
        if (p === FILTER_DISABLED) break;
        if (p !== undefined) levels.push(p);
      }
      policy = mergeCorsPolicies(levels);
      this.policies.set(route, policy);
    }
    return policy;
  }

  private countOrigin(stream: FilterStream, allowed: boolean): void {
    const hcm = (stream as Partial<ActiveStream>).hcm;
    if (hcm === undefined) return;
    let stats = this.stats.get(hcm);
    if (stats === undefined) {
      const store = hcm.runtime.stats;
      const labels = { envoy_http_conn_manager_prefix: hcm.config.statPrefix };
      stats = {
        originValid: store.counter(
          'envoy_http_cors_origin_valid',
          'CORS requests with a valid Origin',
          labels,
        ),
        originInvalid: store.counter(
          'envoy_http_cors_origin_invalid',
          'CORS requests with an invalid Origin',
          labels,
        ),
      };
      this.stats.set(hcm, stats);
    }
    (allowed ? stats.originValid : stats.originInvalid).inc();
  }
}

function roll(fraction: number, random: () => number): boolean {
  return fraction >= 1 || (fraction > 0 && random() < fraction);
}

function headerValue(headers: string[], name: string): string {
  const i = indexOfHeader(headers, name);
  return i < 0 ? '' : headers[i + 1];
}

/** Envoy also accepts any origin when a matcher matches the literal `*`. */
function isOriginAllowed(policy: EffectiveCorsPolicy, origin: string): boolean {
  for (const m of policy.allowOrigins) if (matchString(m, '*') || matchString(m, origin)) return true;
  return false;
}

/** The local `200` answer to a preflight; the response passes the encoders like any other. */
function answerPreflight(
  stream: FilterStream,
  policy: EffectiveCorsPolicy,
  origin: string,
  requestMethod: string,
): void {
  const h: string[] = [];
  if (origin !== '') h.push('access-control-allow-origin', origin);
  if (policy.allowCredentials) h.push('access-control-allow-credentials', 'true');
  if (policy.allowMethods !== '')
    h.push('access-control-allow-methods', policy.allowMethods === '*' ? requestMethod : policy.allowMethods);
  if (policy.allowHeaders !== '') {
    const echoed = headerValue(stream.requestHeaders, 'access-control-request-headers');
    h.push('access-control-allow-headers', policy.allowHeaders === '*' ? echoed : policy.allowHeaders);
  }
  if (policy.maxAge !== '') h.push('access-control-max-age', policy.maxAge);
  if (
    policy.allowPrivateNetworkAccess &&
    headerValue(stream.requestHeaders, 'access-control-request-private-network') === 'true'
  ) {
    h.push('access-control-allow-private-network', 'true');
  }
  (stream as ActiveStream).encodeHeaders(200, h, 0, true);
}

/** Factory registered as `envoy.filters.http.cors`; routes configure it with a `CorsPolicy`. */
export const corsFilterFactory: HttpFilterFactory = {
  name: CORS_FILTER_NAME,
  typeUrls: [TYPE_URL],
  create: (config, path) => {
    checkCorsFilterConfig(config, path);
    return new CorsFilter();
  },
  createPerRoute: (config, path) => compileCorsPolicy(config, path),
};
