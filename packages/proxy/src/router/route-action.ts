/**
 * Envoy `config.route.v3.RouteAction`, compiled: target cluster or weighted pick table,
 * rewrites, timeouts, retries, mirrors, hash policy and hedging.
 */
import { ProxyConfigError } from '../errors.js';
import { arr, bool, duration, type Json, obj, str, uint } from '../xds/fields.js';
import { runtimeFraction } from '../xds/percent.js';
import { compileHashPolicy, type HashPolicy } from './hash-policy.js';
import { compileHeaderMutation, type HeaderMutation } from './header-mutation.js';
import { compileRetryPolicy, NO_RETRY, type RetryPolicy } from './retry-policy.js';
import { compileSafeRegex } from './string-matcher.js';

/** One weighted cluster of a split. */
export interface WeightedCluster {
  readonly name: string;
  readonly weight: number;
  readonly requestHeaders: HeaderMutation;
  readonly responseHeaders: HeaderMutation;
}

/** A mirror target: a fraction of requests is copied there, fire-and-forget. */
export interface MirrorPolicy {
  readonly cluster: string;
  readonly fraction: number;
}

/** A compiled route action. */
export interface RouteAction {
  /** Single target cluster, or '' when `weighted` is used. */
  readonly cluster: string;
  readonly weighted: readonly WeightedCluster[];
  readonly totalWeight: number;
  readonly prefixRewrite: string | null;
  readonly regexRewrite: { readonly re: RegExp; readonly substitution: string } | null;
  readonly hostRewriteLiteral: string | null;
  readonly autoHostRewrite: boolean;
  /** Whole-request timeout; 0 disables (Envoy default 15 s). */
  readonly timeoutMs: number;
  /** Stream idle timeout; 0 = none. */
  readonly idleTimeoutMs: number;
  readonly retry: RetryPolicy;
  readonly mirrors: readonly MirrorPolicy[];
  readonly hashPolicy: readonly HashPolicy[];
  readonly hedgeOnPerTryTimeout: boolean;
  /** gRPC: honour `grpc-timeout` up to this cap (0 = uncapped) when `max_stream_duration.grpc_timeout_header_max` is set. */
  readonly grpcTimeoutHeaderMaxMs: number;
  readonly honourGrpcTimeout: boolean;
  readonly clusterNotFoundStatus: number;
}

const FIELDS = [
  'cluster',
  'weighted_clusters',
  'prefix_rewrite',
  'regex_rewrite',
  'host_rewrite_literal',
  'auto_host_rewrite',
  'timeout',
  'idle_timeout',
  'retry_policy',
  'request_mirror_policies',
  'hash_policy',
  'hedge_policy',
  'max_stream_duration',
  'cluster_not_found_response_code',
];

/** Compiles a RouteAction. */
export function compileRouteAction(v: unknown, path: string): RouteAction {
  const o = obj(v, path, FIELDS);
  const weighted =
    o.weighted_clusters !== undefined
      ? compileWeighted(o.weighted_clusters, `${path}.weighted_clusters`)
      : [];
  const cluster = str(o, 'cluster', path) ?? '';
  if ((cluster === '') === (weighted.length === 0))
    throw new ProxyConfigError(path, 'exactly one of cluster or weighted_clusters is required');
  const stream =
    o.max_stream_duration !== undefined
      ? obj(o.max_stream_duration, `${path}.max_stream_duration`, ['grpc_timeout_header_max'])
      : null;
  return {
    cluster,
    weighted,
    totalWeight: weighted.reduce((s, w) => s + w.weight, 0),
    prefixRewrite: str(o, 'prefix_rewrite', path) ?? null,
    regexRewrite:
      o.regex_rewrite !== undefined ? compileRegexRewrite(o.regex_rewrite, `${path}.regex_rewrite`) : null,
    hostRewriteLiteral: str(o, 'host_rewrite_literal', path) ?? null,
    autoHostRewrite: bool(o, 'auto_host_rewrite', path, false),
    timeoutMs: duration(o, 'timeout', path, 15_000),
    idleTimeoutMs: duration(o, 'idle_timeout', path, 0),
    retry:
      o.retry_policy !== undefined ? compileRetryPolicy(o.retry_policy, `${path}.retry_policy`) : NO_RETRY,
    mirrors: arr(o, 'request_mirror_policies', path).map((m, i) =>
      compileMirror(m, `${path}.request_mirror_policies[${i}]`),
    ),
    hashPolicy: arr(o, 'hash_policy', path).map((h, i) => compileHashPolicy(h, `${path}.hash_policy[${i}]`)),
    hedgeOnPerTryTimeout: o.hedge_policy !== undefined && hedge(o.hedge_policy, `${path}.hedge_policy`),
    grpcTimeoutHeaderMaxMs:
      stream !== null ? duration(stream, 'grpc_timeout_header_max', `${path}.max_stream_duration`, 0) : 0,
    honourGrpcTimeout: stream !== null && stream.grpc_timeout_header_max !== undefined,
    clusterNotFoundStatus: clusterNotFound(o, path),
  };
}

function compileWeighted(v: unknown, path: string): WeightedCluster[] {
  const o = obj(v, path, ['clusters', 'total_weight']);
  const list = arr(o, 'clusters', path);
  if (list.length === 0) throw new ProxyConfigError(`${path}.clusters`, 'at least one cluster is required');
  const declaredTotal = uint(o, 'total_weight', path, 0);
  const out = list.map((c, i) => {
    const p = `${path}.clusters[${i}]`;
    const w = obj(c, p, [
      'name',
      'weight',
      'request_headers_to_add',
      'request_headers_to_remove',
      'response_headers_to_add',
      'response_headers_to_remove',
    ]);
    return {
      name: str(w, 'name', p, true),
      weight: uint(w, 'weight', p, 0),
      requestHeaders: compileHeaderMutation(w as Json, 'request', p),
      responseHeaders: compileHeaderMutation(w as Json, 'response', p),
    };
  });
  const sum = out.reduce((acc, w) => acc + w.weight, 0);
  if (sum === 0) throw new ProxyConfigError(`${path}.clusters`, 'the weights must not all be zero');
  if (declaredTotal > 0 && declaredTotal !== sum) {
    throw new ProxyConfigError(
      `${path}.total_weight`,
      `is ${declaredTotal} but the cluster weights add up to ${sum}`,
    );
  }
  return out;
}

function compileRegexRewrite(v: unknown, path: string): { re: RegExp; substitution: string } {
  const o = obj(v, path, ['pattern', 'substitution']);
  const whole = compileSafeRegex(o.pattern, `${path}.pattern`);
  // Envoy replaces every match within the path, so drop the whole-string anchors and go global.
  const re = new RegExp(whole.source.slice(4, -2), 'gu');
  // RE2 substitutions use \1; JavaScript uses $1.
  return { re, substitution: (str(o, 'substitution', path) ?? '').replace(/\\(\d)/g, '$$$1') };
}

function compileMirror(v: unknown, path: string): MirrorPolicy {
  const o = obj(v, path, ['cluster', 'runtime_fraction']);
  return {
    cluster: str(o, 'cluster', path, true),
    fraction:
      o.runtime_fraction !== undefined ? runtimeFraction(o.runtime_fraction, `${path}.runtime_fraction`) : 1,
  };
}

function hedge(v: unknown, path: string): boolean {
  const o = obj(v, path, ['hedge_on_per_try_timeout', 'initial_requests', 'additional_request_chance']);
  if (o.initial_requests !== undefined || o.additional_request_chance !== undefined) {
    throw new ProxyConfigError(path, 'only hedge_on_per_try_timeout is supported');
  }
  return bool(o, 'hedge_on_per_try_timeout', path, false);
}

function clusterNotFound(o: Json, path: string): number {
  const v = str(o, 'cluster_not_found_response_code', path) ?? 'SERVICE_UNAVAILABLE';
  if (v === 'SERVICE_UNAVAILABLE') return 503;
  if (v === 'NOT_FOUND') return 404;
  if (v === 'INTERNAL_SERVER_ERROR') return 500;
  throw new ProxyConfigError(`${path}.cluster_not_found_response_code`, `unknown value "${v}"`);
}
