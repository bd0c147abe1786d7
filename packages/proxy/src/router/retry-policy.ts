/**
 * Envoy's `config.route.v3.RetryPolicy`, compiled to a bit set and numbers once per route.
 * Conditions keep Envoy's meaning: `5xx` covers any 5xx plus connect failures, resets and
 * per-try timeouts; `gateway-error` covers 502/503/504 plus connect failures and timeouts;
 * the gRPC conditions read `grpc-status` from the response headers.
 */
import { ProxyConfigError } from '../errors.js';
import { arr, duration, type Json, obj, str, uint } from '../xds/fields.js';

const BIT: Readonly<Record<string, number>> = {
  '5xx': 1,
  'gateway-error': 2,
  reset: 4,
  'connect-failure': 8,
  'retriable-4xx': 16,
  'refused-stream': 32,
  'retriable-status-codes': 64,
  cancelled: 128,
  'deadline-exceeded': 256,
  internal: 512,
  'resource-exhausted': 1024,
  unavailable: 2048,
  'reset-before-request': 4096,
};

/** gRPC status code for each gRPC retry condition. */
const GRPC_BITS: ReadonlyArray<[number, number]> = [
  [BIT.cancelled, 1],
  [BIT['deadline-exceeded'], 4],
  [BIT['resource-exhausted'], 8],
  [BIT.internal, 13],
  [BIT.unavailable, 14],
];

/** A compiled retry policy. */
export interface RetryPolicy {
  readonly retryOn: number;
  readonly numRetries: number;
  /** 0 = no per-try timeout. */
  readonly perTryTimeoutMs: number;
  readonly baseIntervalMs: number;
  readonly maxIntervalMs: number;
  readonly retriableStatusCodes: ReadonlySet<number>;
}

/** No retries (Envoy's default when a route has no retry_policy). */
export const NO_RETRY: RetryPolicy = {
  retryOn: 0,
  numRetries: 0,
  perTryTimeoutMs: 0,
  baseIntervalMs: 25,
  maxIntervalMs: 250,
  retriableStatusCodes: new Set(),
};

const FIELDS = ['retry_on', 'num_retries', 'per_try_timeout', 'retry_back_off', 'retriable_status_codes'];

/** Compiles a RetryPolicy object. */
export function compileRetryPolicy(v: unknown, path: string): RetryPolicy {
  const o = obj(v, path, FIELDS);
  let retryOn = 0;
  for (const raw of (str(o, 'retry_on', path) ?? '').split(',')) {
    const c = raw.trim();
    if (c === '') continue;
    const bit = BIT[c];
    if (bit === undefined)
      throw new ProxyConfigError(`${path}.retry_on`, `unsupported retry condition "${c}"`);
    retryOn |= bit;
  }
  let baseIntervalMs = 25;
  let maxIntervalMs = 250;
  if (o.retry_back_off !== undefined) {
    const b = obj(o.retry_back_off, `${path}.retry_back_off`, ['base_interval', 'max_interval']);
    baseIntervalMs = duration(b, 'base_interval', `${path}.retry_back_off`, 25);
    if (baseIntervalMs <= 0)
      throw new ProxyConfigError(`${path}.retry_back_off.base_interval`, 'must be greater than zero');
    maxIntervalMs = duration(b, 'max_interval', `${path}.retry_back_off`, baseIntervalMs * 10);
    if (maxIntervalMs < baseIntervalMs) {
      throw new ProxyConfigError(`${path}.retry_back_off.max_interval`, 'must be at least base_interval');
    }
  }
  const codes = arr(o, 'retriable_status_codes', path).map((c, i) => {
    if (typeof c !== 'number' || !Number.isInteger(c) || c < 100 || c > 599) {
      throw new ProxyConfigError(`${path}.retriable_status_codes[${i}]`, 'expected an HTTP status code');
    }
    return c;
  });
  return {
    retryOn,
    numRetries: uint(o, 'num_retries', path, 1),
    perTryTimeoutMs: duration(o as Json, 'per_try_timeout', path, 0),
    baseIntervalMs,
    maxIntervalMs,
    retriableStatusCodes: new Set(codes),
  };
}

/** Failure kinds the router classifies, for {@link retriableFailure}. */
export type AttemptFailure = 'connect-failure' | 'reset' | 'timeout' | 'refused' | 'overflow';

/** True when a failed attempt (no response) should be retried under `p`. */
export function retriableFailure(p: RetryPolicy, kind: AttemptFailure): boolean {
  const on = p.retryOn;
  switch (kind) {
    case 'connect-failure':
      return (
        (on & (BIT['5xx'] | BIT['gateway-error'] | BIT['connect-failure'] | BIT['reset-before-request'])) !==
        0
      );
    case 'reset':
      return (on & (BIT['5xx'] | BIT.reset)) !== 0;
    case 'timeout':
      return (on & (BIT['5xx'] | BIT['gateway-error'] | BIT.reset)) !== 0;
    case 'refused':
      return (on & (BIT['5xx'] | BIT['refused-stream'])) !== 0;
    default:
      return false;
  }
}

/** True when a response with `status` (and gRPC status, -1 when none) should be retried. */
export function retriableResponse(p: RetryPolicy, status: number, grpcStatus: number): boolean {
  const on = p.retryOn;
  if (on === 0) return false;
  if (status >= 500 && (on & BIT['5xx']) !== 0) return true;
  if ((status === 502 || status === 503 || status === 504) && (on & BIT['gateway-error']) !== 0) return true;
  if (status === 409 && (on & BIT['retriable-4xx']) !== 0) return true;
  if ((on & BIT['retriable-status-codes']) !== 0 && p.retriableStatusCodes.has(status)) return true;
  if (grpcStatus > 0) {
    for (const [bit, code] of GRPC_BITS) if ((on & bit) !== 0 && grpcStatus === code) return true;
  }
  return false;
}

/**
 * Envoy's back-off: full jitter over an exponentially growing window,
 * `random(0, min(base × 2^(n−1), max))` for retry n ≥ 1.
 */
export function backoffMs(p: RetryPolicy, retryNumber: number, random: () => number = Math.random): number {
  const window = Math.min(p.baseIntervalMs * 2 ** Math.min(retryNumber - 1, 30), p.maxIntervalMs);
  return Math.floor(random() * window);
}
