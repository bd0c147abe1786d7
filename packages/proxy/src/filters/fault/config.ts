/**
 * `envoy.extensions.filters.http.fault.v3.HTTPFault`, compiled: a fixed or header-driven delay
 * and an HTTP/gRPC abort, each applied to a fraction of requests, optionally only to requests
 * whose headers match.
 */
import { ProxyConfigError } from '../../errors.js';
import { compileHeaderMatcher, type HeaderMatcher } from '../../router/header-matcher.js';
import { arr, duration, obj, uint } from '../../xds/fields.js';
import { fractionalPercent } from '../../xds/percent.js';

/** A compiled fault configuration. */
export interface FaultConfig {
  /** Fixed delay in ms; 0 when only header-driven or absent. */
  readonly delayMs: number;
  readonly delayFromHeader: boolean;
  readonly delayFraction: number;
  readonly hasDelay: boolean;
  /** HTTP status to abort with, 0 when none (or header-driven / gRPC). */
  readonly abortStatus: number;
  /** gRPC status to abort with, -1 when none. */
  readonly abortGrpcStatus: number;
  readonly abortFromHeader: boolean;
  readonly abortFraction: number;
  readonly hasAbort: boolean;
  readonly headers: readonly HeaderMatcher[];
  /** 0 = unlimited. */
  readonly maxActiveFaults: number;
}

/** Compiles an HTTPFault object (the `typed_config` without `@type`). */
export function compileFaultConfig(v: unknown, path: string): FaultConfig {
  const o = obj(v, path, [
    'delay',
    'abort',
    'headers',
    'max_active_faults',
    'upstream_cluster',
    'downstream_nodes',
  ]);
  if (o.upstream_cluster !== undefined || o.downstream_nodes !== undefined) {
    throw new ProxyConfigError(path, 'upstream_cluster and downstream_nodes are not supported');
  }
  let delayMs = 0;
  let delayFromHeader = false;
  let delayFraction = 0;
  if (o.delay !== undefined) {
    const p = `${path}.delay`;
    const d = obj(o.delay, p, ['fixed_delay', 'header_delay', 'percentage']);
    if ((d.fixed_delay === undefined) === (d.header_delay === undefined))
      throw new ProxyConfigError(p, 'exactly one of fixed_delay or header_delay is required');
    delayMs = duration(d, 'fixed_delay', p, 0);
    delayFromHeader = d.header_delay !== undefined;
    delayFraction = d.percentage !== undefined ? fractionalPercent(d.percentage, `${p}.percentage`) : 1;
  }
  let abortStatus = 0;
  let abortGrpcStatus = -1;
  let abortFromHeader = false;
  let abortFraction = 0;
  if (o.abort !== undefined) {
    const p = `${path}.abort`;
    const a = obj(o.abort, p, ['http_status', 'grpc_status', 'header_abort', 'percentage']);
    const kinds = ['http_status', 'grpc_status', 'header_abort'].filter((k) => a[k] !== undefined);
    if (kinds.length !== 1)
      throw new ProxyConfigError(p, 'exactly one of http_status, grpc_status or header_abort is required');
    abortStatus = uint(a, 'http_status', p, 0);
    if (a.http_status !== undefined && (abortStatus < 200 || abortStatus > 599))
      throw new ProxyConfigError(`${p}.http_status`, 'must be in [200, 599]');
    abortGrpcStatus = a.grpc_status !== undefined ? uint(a, 'grpc_status', p, 0) : -1;
    abortFromHeader = a.header_abort !== undefined;
    abortFraction = a.percentage !== undefined ? fractionalPercent(a.percentage, `${p}.percentage`) : 1;
  }
  return {
    delayMs,
    delayFromHeader,
    delayFraction,
    hasDelay: o.delay !== undefined,
    abortStatus,
    abortGrpcStatus,
    abortFromHeader,
    abortFraction,
    hasAbort: o.abort !== undefined,
    headers: arr(o, 'headers', path).map((h, i) => compileHeaderMatcher(h, `${path}.headers[${i}]`)),
    maxActiveFaults: uint(o, 'max_active_faults', path, 0),
  };
}
