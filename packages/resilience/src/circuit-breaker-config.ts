import {
  ANY_ERROR,
  compileErrorList,
  type ErrorMatcher,
  type ErrorPredicate,
  either,
} from './error-filter.js';
import { ConfigError } from './errors.js';
import { IntervalFunction } from './interval-function.js';

import {
  at,
  checkBoolean,
  checkEnum,
  checkFunction,
  checkKnownKeys,
  checkNumber,
  stripUndefined,
} from './validate.js';

/** Resilience4j's sliding window kinds. */
export type SlidingWindowType = 'COUNT_BASED' | 'TIME_BASED';

/**
 * Circuit breaker settings, named as in Resilience4j's `CircuitBreakerConfig` (durations carry an
 * `Ms` suffix). Every field is optional; see {@link CIRCUIT_BREAKER_DEFAULTS}.
 */
export interface CircuitBreakerConfig {
  /** Failure rate (percent, 0 < x ≤ 100) at or above which the breaker opens. */
  failureRateThreshold?: number;
  /** Slow-call rate (percent, 0 < x ≤ 100) at or above which the breaker opens. */
  slowCallRateThreshold?: number;
  /** A call strictly longer than this (ms) is slow. Infinity turns slow-call detection (and call timing) off. */
  slowCallDurationThresholdMs?: number;
  /** `COUNT_BASED` (last N calls) or `TIME_BASED` (last N seconds, bucketed per second). */
  slidingWindowType?: SlidingWindowType;
  /** N: calls for COUNT_BASED, seconds for TIME_BASED. */
  slidingWindowSize?: number;
  /** Calls the window must hold before rates are computed (capped at the size for COUNT_BASED). */
  minimumNumberOfCalls?: number;
  /** How long OPEN lasts (ms); a function of the open attempt (1, 2, …) allows exponential waits. */
  waitDurationInOpenStateMs?: number | ((attempt: number) => number);
  /** Grow the OPEN wait exponentially per reopen (Resilience4j Spring property; for YAML). */
  enableExponentialBackoff?: boolean;
  /** Factor per reopen with `enableExponentialBackoff`. */
  exponentialBackoffMultiplier?: number;
  /** Cap of the exponential OPEN wait (ms). */
  exponentialMaxWaitDurationInOpenStateMs?: number;
  /** Jitter the OPEN wait by ± `randomizedWaitFactor` (Resilience4j Spring property). */
  enableRandomizedWait?: boolean;
  randomizedWaitFactor?: number;
  /** Calls permitted in HALF_OPEN; their outcome decides CLOSED or OPEN. */
  permittedNumberOfCallsInHalfOpenState?: number;
  /** 0: stay HALF_OPEN until the permitted calls complete; otherwise go OPEN after this long (ms). */
  maxWaitDurationInHalfOpenStateMs?: number;
  /**
   * A HALF_OPEN permit that has not reported back after this long (ms) is presumed lost; the next
   * refused caller then reopens the breaker so a lost probe cannot wedge it.
   */
  halfOpenPermitTimeoutMs?: number;
  /** Move OPEN → HALF_OPEN on a timer instead of on the first call after the wait. */
  automaticTransitionFromOpenToHalfOpenEnabled?: boolean;
  /** Errors recorded as failures (default: all). Classes or error codes/names. */
  recordExceptions?: readonly ErrorMatcher[];
  /**
   * Errors neither failures nor successes: the permit is released. Classes or codes/names.
   * Local rejections (`MESH_ERR_BULKHEAD_FULL`, `MESH_ERR_RATE_LIMITED`, `MESH_ERR_CIRCUIT_OPEN`)
   * are always ignored: they say nothing about the downstream.
   */
  ignoreExceptions?: readonly ErrorMatcher[];
  /** Predicate: is this error a failure? OR-ed with `recordExceptions`. */
  recordException?: ErrorPredicate;
  /** Predicate: is this error ignored? OR-ed with `ignoreExceptions`; checked first. */
  ignoreException?: ErrorPredicate;
  /** Predicate: is this (successful) result a failure? */
  recordResult?: (result: unknown) => boolean;
}

/** Defaults, as in Resilience4j 2.x. */
export const CIRCUIT_BREAKER_DEFAULTS = {
  failureRateThreshold: 50,
  slowCallRateThreshold: 100,
  slowCallDurationThresholdMs: 60_000,
  slidingWindowType: 'COUNT_BASED' as SlidingWindowType,
  slidingWindowSize: 100,
  minimumNumberOfCalls: 100,
  waitDurationInOpenStateMs: 60_000,
  enableExponentialBackoff: false,
  exponentialBackoffMultiplier: 1.5,
  exponentialMaxWaitDurationInOpenStateMs: Infinity,
  enableRandomizedWait: false,
  randomizedWaitFactor: 0.5,
  permittedNumberOfCallsInHalfOpenState: 10,
  maxWaitDurationInHalfOpenStateMs: 0,
  halfOpenPermitTimeoutMs: 60_000,
  automaticTransitionFromOpenToHalfOpenEnabled: false,
} as const;

/** A validated, immutable breaker configuration. */
export interface CompiledCircuitBreakerConfig {
  readonly failureRateThreshold: number;
  readonly slowCallRateThreshold: number;
  readonly slowCallDurationThresholdMs: number;
  readonly slidingWindowType: SlidingWindowType;
  readonly slidingWindowSize: number;
  readonly minimumNumberOfCalls: number;
  readonly waitDurationInOpenStateMs: (attempt: number) => number;
  readonly permittedNumberOfCallsInHalfOpenState: number;
  readonly maxWaitDurationInHalfOpenStateMs: number;
  readonly halfOpenPermitTimeoutMs: number;
  readonly automaticTransitionFromOpenToHalfOpenEnabled: boolean;
  readonly isRecorded: ErrorPredicate;
  readonly isIgnored: ErrorPredicate;
  readonly recordResult: ((result: unknown) => boolean) | undefined;
}

const KNOWN = [
  ...Object.keys(CIRCUIT_BREAKER_DEFAULTS),
  'recordExceptions',
  'ignoreExceptions',
  'recordException',
  'ignoreException',
  'recordResult',
];

/** Validates `config` (naming the bad field under `path`) and fills defaults. */
export function compileCircuitBreakerConfig(
  config: CircuitBreakerConfig = {},
  path = 'circuitBreaker',
): CompiledCircuitBreakerConfig {
  checkKnownKeys(path, config, KNOWN);
  const c = { ...CIRCUIT_BREAKER_DEFAULTS, ...stripUndefined(config) };
  const percent = { min: 0, max: 100, minExclusive: true };
  const number = (key: keyof typeof CIRCUIT_BREAKER_DEFAULTS, range: Parameters<typeof checkNumber>[2]) =>
    checkNumber(at(path, key), c[key], range);
  return {
    failureRateThreshold: number('failureRateThreshold', percent),
    slowCallRateThreshold: number('slowCallRateThreshold', percent),
    slowCallDurationThresholdMs: number('slowCallDurationThresholdMs', { min: 0, allowInfinity: true }),
    ...compileWindow(path, c),
    waitDurationInOpenStateMs: compileOpenWait(path, c),
    permittedNumberOfCallsInHalfOpenState: number('permittedNumberOfCallsInHalfOpenState', {
      min: 1,
      integer: true,
    }),
    maxWaitDurationInHalfOpenStateMs: number('maxWaitDurationInHalfOpenStateMs', { min: 0 }),
    halfOpenPermitTimeoutMs: number('halfOpenPermitTimeoutMs', {
      min: 0,
      minExclusive: true,
      allowInfinity: true,
    }),
    automaticTransitionFromOpenToHalfOpenEnabled: checkBoolean(
      at(path, 'automaticTransitionFromOpenToHalfOpenEnabled'),
      c.automaticTransitionFromOpenToHalfOpenEnabled,
    ),
    ...compileClassification(path, config),
  };
}

function compileWindow(path: string, c: CircuitBreakerConfig) {
  const slidingWindowType = checkEnum(at(path, 'slidingWindowType'), c.slidingWindowType, [
    'COUNT_BASED',
    'TIME_BASED',
  ]);
  const slidingWindowSize = checkNumber(at(path, 'slidingWindowSize'), c.slidingWindowSize, {
    min: 1,
    integer: true,
  });
  let minimumNumberOfCalls = checkNumber(at(path, 'minimumNumberOfCalls'), c.minimumNumberOfCalls, {
    min: 1,
    integer: true,
  });
  // Resilience4j caps the minimum at the window size for count-based windows.
  if (slidingWindowType === 'COUNT_BASED')
    minimumNumberOfCalls = Math.min(minimumNumberOfCalls, slidingWindowSize);
  return { slidingWindowType, slidingWindowSize, minimumNumberOfCalls };
}

function compileClassification(path: string, config: CircuitBreakerConfig) {
  const recorded = either(
    compileErrorList(at(path, 'recordExceptions'), config.recordExceptions),
    optionalFn(at(path, 'recordException'), config.recordException),
  );
  const ignored = either(
    compileErrorList(at(path, 'ignoreExceptions'), config.ignoreExceptions),
    optionalFn(at(path, 'ignoreException'), config.ignoreException),
  );
  return {
    isRecorded: recorded ?? ANY_ERROR,
    isIgnored: either(ignored, isLocalRejection) ?? isLocalRejection,
    recordResult: optionalFn<(result: unknown) => boolean>(at(path, 'recordResult'), config.recordResult),
  };
}

function compileOpenWait(path: string, c: CircuitBreakerConfig): (attempt: number) => number {
  const value: unknown = c.waitDurationInOpenStateMs;
  if (typeof value === 'function') return value as (attempt: number) => number;
  const waitMs = checkNumber(at(path, 'waitDurationInOpenStateMs'), value, { min: 0 });
  const exponential = checkBoolean(at(path, 'enableExponentialBackoff'), c.enableExponentialBackoff);
  const randomized = checkBoolean(at(path, 'enableRandomizedWait'), c.enableRandomizedWait);
  const multiplier = checkNumber(at(path, 'exponentialBackoffMultiplier'), c.exponentialBackoffMultiplier, {
    min: 1,
  });
  const maxMs = checkNumber(
    at(path, 'exponentialMaxWaitDurationInOpenStateMs'),
    c.exponentialMaxWaitDurationInOpenStateMs,
    { min: 0, allowInfinity: true },
  );
  const factor = checkNumber(at(path, 'randomizedWaitFactor'), c.randomizedWaitFactor, {
    min: 0,
    max: 0.999,
  });
  if ((exponential || randomized) && waitMs === 0) {
    throw new ConfigError(
      at(path, 'waitDurationInOpenStateMs'),
      'must be > 0 with exponential or randomized waits',
    );
  }
  let interval: IntervalFunction | undefined;
  if (exponential && randomized)
    interval = IntervalFunction.ofExponentialRandomBackoff(waitMs, multiplier, maxMs, factor);
  else if (exponential) interval = IntervalFunction.ofExponentialBackoff(waitMs, multiplier, maxMs);
  else if (randomized) interval = IntervalFunction.ofRandomized(waitMs, factor);
  if (interval === undefined) return () => waitMs;
  const fn = interval;
  return (attempt: number) => fn(attempt, 0);
}

function optionalFn<F>(path: string, value: unknown): F | undefined {
  return value === undefined ? undefined : checkFunction<F>(path, value);
}

const LOCAL_REJECTIONS = new Set([
  'MESH_ERR_BULKHEAD_FULL',
  'MESH_ERR_RATE_LIMITED',
  'MESH_ERR_CIRCUIT_OPEN',
]);

/**
 * Rejections by this process's own policies (a full bulkhead, a rate limiter, a nested open
 * breaker) say nothing about the downstream's health, so breakers ignore them by default.
 */
export function isLocalRejection(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && LOCAL_REJECTIONS.has(code);
}
