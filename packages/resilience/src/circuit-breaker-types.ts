/** Resilience4j's circuit breaker states. */
export type CircuitBreakerState =
  | 'CLOSED'
  | 'OPEN'
  | 'HALF_OPEN'
  | 'DISABLED'
  | 'FORCED_OPEN'
  | 'METRICS_ONLY';

/** Fields every breaker event carries. */
interface EventBase {
  /** Name of the breaker. */
  readonly name: string;
  /** Clock time of the event (ms). */
  readonly createdAt: number;
}

/** Events published by circuit breakers (Resilience4j's `CircuitBreakerEvent.Type` names). */
export type CircuitBreakerEvent =
  | (EventBase & { readonly type: 'SUCCESS'; readonly elapsedMs: number })
  | (EventBase & { readonly type: 'ERROR'; readonly elapsedMs: number; readonly error: unknown })
  | (EventBase & { readonly type: 'IGNORED_ERROR'; readonly elapsedMs: number; readonly error: unknown })
  | (EventBase & { readonly type: 'NOT_PERMITTED' })
  | (EventBase & {
      readonly type: 'STATE_TRANSITION';
      readonly from: CircuitBreakerState;
      readonly to: CircuitBreakerState;
    })
  | (EventBase & { readonly type: 'RESET' })
  | (EventBase & { readonly type: 'FAILURE_RATE_EXCEEDED'; readonly failureRate: number })
  | (EventBase & { readonly type: 'SLOW_CALL_RATE_EXCEEDED'; readonly slowCallRate: number });

/** A point-in-time view of a breaker's window (Resilience4j's `CircuitBreaker.Metrics`). */
export interface CircuitBreakerMetrics {
  /** Percent of buffered calls that failed; -1 while fewer than the minimum number of calls are buffered. */
  readonly failureRate: number;
  /** Percent of buffered calls that were slow; -1 while below the minimum number of calls. */
  readonly slowCallRate: number;
  readonly numberOfBufferedCalls: number;
  readonly numberOfFailedCalls: number;
  readonly numberOfSuccessfulCalls: number;
  readonly numberOfSlowCalls: number;
  readonly numberOfSlowSuccessfulCalls: number;
  readonly numberOfSlowFailedCalls: number;
  /** Calls refused since the current window started. */
  readonly numberOfNotPermittedCalls: number;
}

/**
 * What every breaker (sliding-window or consecutive-failures) offers, so the proxy and service
 * runtime can hold either. The synchronous methods are the promise-free fast path.
 */
export interface CircuitBreakerLike {
  readonly name: string;
  readonly state: CircuitBreakerState;
  /** Takes a permit if the breaker allows a call now; never throws. */
  tryAcquirePermission(): boolean;
  /** Like `tryAcquirePermission`, but throws `CallNotPermittedError` (code `MESH_ERR_CIRCUIT_OPEN`). */
  acquirePermission(): void;
  /** Gives back a permit taken for a call that was not made. */
  releasePermission(): void;
  /** Reports a successful call of `durationMs`. */
  onSuccess(durationMs: number): void;
  /** Reports a failed call; ignored errors release the permit instead. */
  onError(durationMs: number, error: unknown): void;
  /** Reports a call's result; results the config classifies as failures count as errors. */
  onResult(durationMs: number, result: unknown): void;
}
