/**
 * The resilience library's error catalogue. Every error carries a stable `code`; callers branch
 * on the code, never on message text.
 */
export type ResilienceErrorCode =
  /** A circuit breaker refused the call (OPEN, FORCED_OPEN, or HALF_OPEN with no permits left). */
  | 'MESH_ERR_CIRCUIT_OPEN'
  /** A bulkhead had no free slot (and no queue room or wait time left). */
  | 'MESH_ERR_BULKHEAD_FULL'
  /** A time limiter's deadline passed before the call finished. */
  | 'MESH_ERR_TIMEOUT'
  /** A rate limiter could not grant a permission within its timeout. */
  | 'MESH_ERR_RATE_LIMITED'
  /** The caller's AbortSignal fired while the policy was waiting or running. */
  | 'MESH_ERR_ABORTED'
  /** A circuit breaker's `recordResult` predicate classified a result as a failure. */
  | 'MESH_ERR_RESULT_RECORDED_AS_FAILURE'
  /** A retry with `failAfterMaxAttempts` ran out of attempts while `retryOnResult` still matched. */
  | 'MESH_ERR_MAX_RETRIES_EXCEEDED'
  /** A policy configuration is invalid; `path` names the offending field. */
  | 'MESH_ERR_RESILIENCE_CONFIG';

/** Base class of every error this package raises. */
export class MeshError extends Error {
  /** Stable machine-readable code. */
  readonly code: ResilienceErrorCode;
  constructor(code: ResilienceErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MeshError';
    this.code = code;
  }
}

/** Thrown by `CircuitBreaker.acquirePermission()`/`execute()` when the breaker refuses a call. */
export class CallNotPermittedError extends MeshError {
  /** Name of the breaker that refused the call. */
  readonly breakerName: string;
  /** State the breaker was in (`OPEN`, `FORCED_OPEN` or `HALF_OPEN`). */
  readonly state: string;
  constructor(breakerName: string, state: string) {
    super(
      'MESH_ERR_CIRCUIT_OPEN',
      `CircuitBreaker '${breakerName}' is ${state} and does not permit further calls`,
    );
    this.name = 'CallNotPermittedError';
    this.breakerName = breakerName;
    this.state = state;
  }
}

/** Thrown by a bulkhead that is full. Not a downstream failure: breakers should not count it. */
export class BulkheadFullError extends MeshError {
  readonly bulkheadName: string;
  constructor(bulkheadName: string, reason: string) {
    super(
      'MESH_ERR_BULKHEAD_FULL',
      `Bulkhead '${bulkheadName}' is full and does not permit further calls: ${reason}`,
    );
    this.name = 'BulkheadFullError';
    this.bulkheadName = bulkheadName;
  }
}

/** Thrown when a time limiter's deadline passes. */
export class TimeoutError extends MeshError {
  /** The configured timeout that expired, in milliseconds. */
  readonly timeoutMs: number;
  constructor(name: string, timeoutMs: number) {
    super('MESH_ERR_TIMEOUT', `TimeLimiter '${name}' recorded a timeout after ${timeoutMs} ms`);
    this.name = 'TimeoutError';
    this.timeoutMs = timeoutMs;
  }
}

/** Thrown when a rate limiter cannot grant a permission within `timeoutDurationMs`. */
export class RequestNotPermittedError extends MeshError {
  readonly limiterName: string;
  constructor(limiterName: string) {
    super('MESH_ERR_RATE_LIMITED', `RateLimiter '${limiterName}' does not permit further calls`);
    this.name = 'RequestNotPermittedError';
    this.limiterName = limiterName;
  }
}

/** Thrown when the caller's signal aborts a policy that is waiting (retry backoff, queue, limiter). */
export class AbortedError extends MeshError {
  constructor(cause?: unknown) {
    super('MESH_ERR_ABORTED', 'The operation was aborted', { cause });
    this.name = 'AbortedError';
  }
}

/** What a breaker records as the error when `recordResult` classifies a result as a failure. */
export class ResultRecordedAsFailureError extends MeshError {
  readonly result: unknown;
  constructor(breakerName: string, result: unknown) {
    super(
      'MESH_ERR_RESULT_RECORDED_AS_FAILURE',
      `CircuitBreaker '${breakerName}' has recorded a result as a failure`,
    );
    this.name = 'ResultRecordedAsFailureError';
    this.result = result;
  }
}

/** Thrown by a retry with `failAfterMaxAttempts` when attempts run out on retryable results. */
export class MaxRetriesExceededError extends MeshError {
  readonly attempts: number;
  /** The last result, which `retryOnResult` still wanted retried. */
  readonly lastResult: unknown;
  constructor(retryName: string, attempts: number, lastResult: unknown) {
    super('MESH_ERR_MAX_RETRIES_EXCEEDED', `Retry '${retryName}' has exhausted all ${attempts} attempts`);
    this.name = 'MaxRetriesExceededError';
    this.attempts = attempts;
    this.lastResult = lastResult;
  }
}

/** Invalid policy configuration; `path` names the offending field (e.g. `circuitBreaker.failureRateThreshold`). */
export class ConfigError extends MeshError {
  readonly path: string;
  constructor(path: string, message: string) {
    super('MESH_ERR_RESILIENCE_CONFIG', path ? `${path}: ${message}` : message);
    this.name = 'ConfigError';
    this.path = path;
  }
}
