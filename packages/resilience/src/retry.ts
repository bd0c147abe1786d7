import { type Clock, systemClock } from './clock.js';
import { contextOf, ExecutionContext, type Policy, type PolicyOptions, type Task } from './context.js';
import { compileErrorList, type ErrorMatcher, type ErrorPredicate, either } from './error-filter.js';
import { AbortedError, ConfigError, MaxRetriesExceededError } from './errors.js';
import { EventPublisher } from './events.js';
import { IntervalFunction } from './interval-function.js';
import { RetryBudget, type RetryBudgetConfig } from './retry-budget.js';
import { sleep } from './sleep.js';
import {
  at,
  checkBoolean,
  checkFunction,
  checkKnownKeys,
  checkNumber,
  checkTask,
  stripUndefined,
} from './validate.js';

/**
 * Retry settings, named as in Resilience4j's `RetryConfig` and its Spring properties
 * (`enableExponentialBackoff`, …) so both code and YAML can configure it.
 */
export interface RetryConfig {
  /** Total attempts including the first call. */
  maxAttempts?: number;
  /** Fixed wait between attempts (ms) when no interval function or backoff is set. */
  waitDurationMs?: number;
  /** Wait before retry `attempt`; overrides `waitDurationMs` and the backoff switches. */
  intervalFunction?: IntervalFunction;
  /** Exponential backoff from `waitDurationMs` (Spring property). */
  enableExponentialBackoff?: boolean;
  exponentialBackoffMultiplier?: number;
  exponentialMaxWaitDurationMs?: number;
  /** Uniform jitter of ± `randomizedWaitFactor` (Spring property). */
  enableRandomizedWait?: boolean;
  randomizedWaitFactor?: number;
  /**
   * Errors to retry (default: all except `MESH_ERR_CIRCUIT_OPEN`, since an open breaker stays
   * open for its whole wait). Classes or error codes/names.
   */
  retryExceptions?: readonly ErrorMatcher[];
  /** Errors never retried; checked first. Classes or error codes/names. */
  ignoreExceptions?: readonly ErrorMatcher[];
  /** Predicate: retry this error? OR-ed with `retryExceptions` (Resilience4j `retryOnException`). */
  retryOnError?: (error: unknown) => boolean;
  /** Predicate: never retry this error? OR-ed with `ignoreExceptions`. */
  ignoreError?: (error: unknown) => boolean;
  /** Predicate: retry when a call returns this result. */
  retryOnResult?: (result: unknown) => boolean;
  /** When `retryOnResult` still matches after the last attempt: throw `MaxRetriesExceededError` instead of returning the result. */
  failAfterMaxAttempts?: boolean;
  /** Shared budget (or its config) capping retries as a share of requests. */
  retryBudget?: RetryBudget | RetryBudgetConfig;
}

/** Defaults, as in Resilience4j. */
export const RETRY_DEFAULTS = {
  maxAttempts: 3,
  waitDurationMs: 500,
  enableExponentialBackoff: false,
  exponentialBackoffMultiplier: 1.5,
  exponentialMaxWaitDurationMs: Infinity,
  enableRandomizedWait: false,
  randomizedWaitFactor: 0.5,
  failAfterMaxAttempts: false,
} as const;

/** Resilience4j's `Retry.Metrics`. */
export interface RetryMetrics {
  readonly numberOfSuccessfulCallsWithoutRetryAttempt: number;
  readonly numberOfSuccessfulCallsWithRetryAttempt: number;
  readonly numberOfFailedCallsWithoutRetryAttempt: number;
  readonly numberOfFailedCallsWithRetryAttempt: number;
}

/** Events published by retries (Resilience4j's `RetryEvent.Type` names). */
export type RetryEvent =
  | {
      readonly type: 'RETRY';
      readonly name: string;
      readonly attempt: number;
      readonly waitMs: number;
      readonly error: unknown;
    }
  | { readonly type: 'SUCCESS'; readonly name: string; readonly attempts: number }
  | { readonly type: 'ERROR'; readonly name: string; readonly attempts: number; readonly error: unknown }
  | { readonly type: 'IGNORED_ERROR'; readonly name: string; readonly error: unknown };

const KNOWN = [
  ...Object.keys(RETRY_DEFAULTS),
  'intervalFunction',
  'retryExceptions',
  'ignoreExceptions',
  'retryOnError',
  'ignoreError',
  'retryOnResult',
  'retryBudget',
];

/**
 * Calls again after failures, waiting per its interval function. Waits honour the caller's
 * AbortSignal and never run past the context's deadline; an optional {@link RetryBudget} stops
 * retry storms. Non-retryable errors and exhausted attempts rethrow the last error; an exhausted
 * `retryOnResult` returns the last result, as Resilience4j does.
 *
 * @example
 * const retry = new Retry('inventory', { maxAttempts: 3, waitDurationMs: 500, retryExceptions: ['ECONNRESET'] });
 * const stock = await retry.execute(({ attempt }) => inventory.check(42, { attempt }));
 */
export class Retry implements Policy {
  readonly name: string;
  readonly maxAttempts: number;
  readonly intervalFunction: IntervalFunction;
  readonly budget: RetryBudget | undefined;
  readonly events = new EventPublisher<RetryEvent>();
  readonly #clock: Clock;
  readonly #retryable: ErrorPredicate | undefined;
  readonly #ignored: ErrorPredicate | undefined;
  readonly #retryOnResult: ((result: unknown) => boolean) | undefined;
  readonly #failAfterMaxAttempts: boolean;
  // [success without retry, success with retry, failure without retry, failure with retry]
  readonly #counts = [0, 0, 0, 0];

  constructor(name: string, config: RetryConfig = {}, options?: PolicyOptions) {
    const path = options?.configPath ?? 'retry';
    checkKnownKeys(path, config, KNOWN);
    const c: RetryConfig = { ...RETRY_DEFAULTS, ...stripUndefined(config) };
    this.name = name;
    this.#clock = options?.clock ?? systemClock;
    this.maxAttempts = checkNumber(at(path, 'maxAttempts'), c.maxAttempts, { min: 1, integer: true });
    this.intervalFunction = compileInterval(path, c);
    this.#retryable = either(
      compileErrorList(at(path, 'retryExceptions'), c.retryExceptions),
      optional(at(path, 'retryOnError'), c.retryOnError),
    );
    this.#ignored = either(
      compileErrorList(at(path, 'ignoreExceptions'), c.ignoreExceptions),
      optional(at(path, 'ignoreError'), c.ignoreError),
    );
    this.#retryOnResult = optional(at(path, 'retryOnResult'), c.retryOnResult);
    this.#failAfterMaxAttempts = checkBoolean(at(path, 'failAfterMaxAttempts'), c.failAfterMaxAttempts);
    const budget = c.retryBudget;
    this.budget =
      budget === undefined || budget instanceof RetryBudget
        ? budget
        : new RetryBudget(budget, { clock: this.#clock, configPath: at(path, 'retryBudget') });
  }

  /** Outcome counts since creation. */
  get metrics(): RetryMetrics {
    const [okFirst, okRetried, failedFirst, failedRetried] = this.#counts;
    return {
      numberOfSuccessfulCallsWithoutRetryAttempt: okFirst,
      numberOfSuccessfulCallsWithRetryAttempt: okRetried,
      numberOfFailedCallsWithoutRetryAttempt: failedFirst,
      numberOfFailedCallsWithRetryAttempt: failedRetried,
    };
  }

  async execute<T>(fn: Task<T>, parent?: ExecutionContext | AbortSignal): Promise<T> {
    checkTask(fn);
    const context = new ExecutionContext(contextOf(parent));
    this.budget?.deposit();
    let previousWaitMs = 0;
    for (let attempt = 1; ; attempt++) {
      context.attempt = attempt;
      let result: T;
      try {
        result = await fn(context);
      } catch (error) {
        const waitMs = this.#waitBeforeRetry(attempt, previousWaitMs, true, error, context);
        if (waitMs < 0) {
          this.#counts[attempt === 1 ? 2 : 3]++;
          throw error;
        }
        previousWaitMs = waitMs;
        if (waitMs > 0) await this.#pause(waitMs, context);
        continue;
      }
      if (this.#retryOnResult?.(result)) {
        const waitMs = this.#waitBeforeRetry(attempt, previousWaitMs, false, result, context);
        if (waitMs >= 0) {
          previousWaitMs = waitMs;
          if (waitMs > 0) await this.#pause(waitMs, context);
          continue;
        }
        if (this.#failAfterMaxAttempts) {
          this.#counts[attempt === 1 ? 2 : 3]++;
          throw new MaxRetriesExceededError(this.name, attempt, result);
        }
      }
      this.#counts[attempt === 1 ? 0 : 1]++;
      if (attempt > 1 && this.events.hasListeners) {
        this.events.emit({ type: 'SUCCESS', name: this.name, attempts: attempt });
      }
      return result;
    }
  }

  /** Backoff wait; an abort during it ends the call as a failure after retries. */
  async #pause(waitMs: number, context: ExecutionContext): Promise<void> {
    try {
      await sleep(this.#clock, waitMs, context);
    } catch (error) {
      this.#counts[3]++;
      throw error;
    }
  }

  #isRetryable(error: unknown): boolean {
    if (this.#retryable !== undefined) return this.#retryable(error);
    // An open breaker stays open for its whole wait: retrying into it only burns the backoff.
    return (error as { code?: unknown } | null)?.code !== 'MESH_ERR_CIRCUIT_OPEN';
  }

  /** The wait before the next attempt, or -1 when the call must not be retried. */
  #waitBeforeRetry(
    attempt: number,
    previousWaitMs: number,
    isError: boolean,
    outcome: unknown,
    context: ExecutionContext,
  ): number {
    const error = isError ? outcome : undefined;
    if (isError && (this.#ignored?.(error) || error instanceof AbortedError)) {
      if (this.events.hasListeners) this.events.emit({ type: 'IGNORED_ERROR', name: this.name, error });
      return -1;
    }
    const retryable = !isError || this.#isRetryable(error);
    const waitMs =
      retryable && attempt < this.maxAttempts ? this.intervalFunction(attempt, previousWaitMs, outcome) : -1;
    // Do not retry into a dead caller or past the deadline: the attempt could not finish anyway.
    const allowed =
      waitMs >= 0 &&
      !context.aborted &&
      this.#clock.now() + waitMs < context.deadline &&
      (this.budget === undefined || this.budget.tryWithdraw());
    if (!allowed) {
      if (isError && this.events.hasListeners)
        this.events.emit({ type: 'ERROR', name: this.name, attempts: attempt, error });
      return -1;
    }
    if (this.events.hasListeners)
      this.events.emit({ type: 'RETRY', name: this.name, attempt, waitMs, error });
    return waitMs;
  }
}

function compileInterval(path: string, c: RetryConfig): IntervalFunction {
  if (c.intervalFunction !== undefined)
    return checkFunction(at(path, 'intervalFunction'), c.intervalFunction);
  const waitMs = checkNumber(at(path, 'waitDurationMs'), c.waitDurationMs, { min: 0 });
  const exponential = checkBoolean(at(path, 'enableExponentialBackoff'), c.enableExponentialBackoff);
  const randomized = checkBoolean(at(path, 'enableRandomizedWait'), c.enableRandomizedWait);
  const multiplier = checkNumber(at(path, 'exponentialBackoffMultiplier'), c.exponentialBackoffMultiplier, {
    min: 1,
  });
  const maxMs = checkNumber(at(path, 'exponentialMaxWaitDurationMs'), c.exponentialMaxWaitDurationMs, {
    min: 0,
    allowInfinity: true,
  });
  const factor = checkNumber(at(path, 'randomizedWaitFactor'), c.randomizedWaitFactor, {
    min: 0,
    max: 0.999,
  });
  if (exponential && waitMs === 0)
    throw new ConfigError(at(path, 'waitDurationMs'), 'must be > 0 with exponential backoff');
  if (exponential && randomized)
    return IntervalFunction.ofExponentialRandomBackoff(waitMs, multiplier, maxMs, factor);
  if (exponential) return IntervalFunction.ofExponentialBackoff(waitMs, multiplier, maxMs);
  if (randomized) return IntervalFunction.ofRandomized(waitMs, factor);
  return IntervalFunction.of(waitMs);
}

function optional<F>(path: string, value: unknown): F | undefined {
  return value === undefined ? undefined : checkFunction<F>(path, value);
}
