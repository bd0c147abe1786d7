/**
 * The policy proxyless clients get when none is given — what a sidecar would otherwise do:
 * retry transient failures with exponential backoff, open a circuit breaker when a service keeps
 * failing, and bound each attempt with a time limit. Built from `@meshwork/resilience`
 * (Resilience4j semantics), in Resilience4j's decoration order: Retry(CircuitBreaker(TimeLimiter(call))).
 */
import { CircuitBreaker, type Clock, Retry, TimeLimiter, wrap } from '@meshwork/resilience';
import { UpstreamStatusError, UpstreamUnavailableError } from '../errors.js';
import type { Policy } from './service-client.js';

/** Knobs of {@link defaultClientPolicy}; every one has a default. */
export interface ClientPolicyOptions {
  /** Attempts including the first; default 3. */
  maxAttempts?: number;
  /** First retry wait, doubled per attempt; default 100 ms. */
  retryWaitMs?: number;
  /** Per-attempt time limit; default 3000 ms. */
  attemptTimeoutMs?: number;
  /** Failure rate (%) that opens the breaker; default 50. */
  failureRateThreshold?: number;
  /** Calls in the breaker's sliding window; default 20 (at least 10 before it judges). */
  slidingWindowSize?: number;
  /** How long the breaker stays open; default 5000 ms. */
  waitDurationInOpenStateMs?: number;
  clock?: Clock;
}

const TRANSIENT_STATUS = new Set([502, 503, 504]);

/** A failure worth retrying and counting against the service: no answer, or a gateway-class status. */
export function isTransient(error: unknown): boolean {
  if (error instanceof UpstreamUnavailableError) return true;
  return error instanceof UpstreamStatusError && TRANSIENT_STATUS.has(error.status);
}

/** A transient failure that is also safe to repeat (see `safeToRetry`). */
export function isRetryable(error: unknown): boolean {
  return isTransient(error) && (error as UpstreamUnavailableError | UpstreamStatusError).safeToRetry;
}

/**
 * Builds retry + circuit breaker + time limiter for calls to `service`.
 *
 * @example
 * const payments = connect('payments', { policy: defaultClientPolicy('payments', { attemptTimeoutMs: 1000 }) });
 */
export function defaultClientPolicy(service: string, options: ClientPolicyOptions = {}): Policy {
  const opts = options.clock ? { clock: options.clock } : undefined;
  const window = options.slidingWindowSize ?? 20;
  const retry = new Retry(
    service,
    {
      maxAttempts: options.maxAttempts ?? 3,
      waitDurationMs: options.retryWaitMs ?? 100,
      enableExponentialBackoff: true,
      exponentialBackoffMultiplier: 2,
      retryOnError: isRetryable,
    },
    opts,
  );
  const breaker = new CircuitBreaker(
    service,
    {
      failureRateThreshold: options.failureRateThreshold ?? 50,
      slidingWindowSize: window,
      minimumNumberOfCalls: Math.min(10, window),
      waitDurationInOpenStateMs: options.waitDurationInOpenStateMs ?? 5000,
      recordException: isTransient,
    },
    opts,
  );
  const limiter = new TimeLimiter(service, { timeoutDurationMs: options.attemptTimeoutMs ?? 3000 }, opts);
  return wrap(retry, breaker, limiter);
}
