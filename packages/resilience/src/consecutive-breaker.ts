import { isLocalRejection } from './circuit-breaker-config.js';
import type {
  CircuitBreakerEvent,
  CircuitBreakerLike,
  CircuitBreakerState,
} from './circuit-breaker-types.js';
import { type Clock, systemClock } from './clock.js';
import { contextOf, type ExecutionContext, type Policy, type PolicyOptions, type Task } from './context.js';
import { CallNotPermittedError } from './errors.js';
import { EventPublisher } from './events.js';
import { at, checkKnownKeys, checkNumber, checkTask, stripUndefined } from './validate.js';

/** Settings of the consecutive-failures breaker. */
export interface ConsecutiveBreakerConfig {
  /** Failures that open the breaker. */
  failureThreshold?: number;
  /** Successes in HALF_OPEN that close it. */
  successThreshold?: number;
  /** How long OPEN lasts after the last failure (ms). */
  timeoutMs?: number;
  /**
   * Infinity: failures must be consecutive (a success resets the count). Finite: the last
   * `failureThreshold` failures must fall within this many ms, successes in between or not.
   */
  failureWindowMs?: number;
}

/** Defaults. */
export const CONSECUTIVE_BREAKER_DEFAULTS = {
  failureThreshold: 5,
  successThreshold: 1,
  timeoutMs: 30_000,
  failureWindowMs: Infinity,
} as const;

/**
 * The classic counting breaker: CLOSED → OPEN after `failureThreshold` failures; OPEN → HALF_OPEN
 * once `timeoutMs` has passed since the last failure; HALF_OPEN → CLOSED after `successThreshold`
 * successes, → OPEN on any failure. HALF_OPEN admits every call, so it cannot wedge.
 *
 * @example
 * // CLOSED → OPEN: 5 failures within 30 s; OPEN → HALF_OPEN after 30 s; 3 successes close it.
 * const breaker = new ConsecutiveBreaker('users', { failureThreshold: 5, failureWindowMs: 30_000, timeoutMs: 30_000, successThreshold: 3 });
 */
export class ConsecutiveBreaker implements CircuitBreakerLike, Policy {
  readonly name: string;
  readonly failureThreshold: number;
  readonly successThreshold: number;
  readonly timeoutMs: number;
  readonly failureWindowMs: number;
  readonly events = new EventPublisher<CircuitBreakerEvent>();
  readonly #clock: Clock;
  #state: CircuitBreakerState = 'CLOSED';
  #failureCount = 0;
  #successCount = 0;
  #lastFailureAt = Number.NEGATIVE_INFINITY;
  /** Times of the last `failureThreshold` failures (ring), used when `failureWindowMs` is finite. */
  readonly #failureTimes: Float64Array;
  #ringHead = 0;

  constructor(name: string, config: ConsecutiveBreakerConfig = {}, options?: PolicyOptions) {
    const path = options?.configPath ?? 'circuitBreaker';
    checkKnownKeys(path, config, Object.keys(CONSECUTIVE_BREAKER_DEFAULTS));
    const c = { ...CONSECUTIVE_BREAKER_DEFAULTS, ...stripUndefined(config) };
    this.name = name;
    this.failureThreshold = checkNumber(at(path, 'failureThreshold'), c.failureThreshold, {
      min: 1,
      integer: true,
    });
    this.successThreshold = checkNumber(at(path, 'successThreshold'), c.successThreshold, {
      min: 1,
      integer: true,
    });
    this.timeoutMs = checkNumber(at(path, 'timeoutMs'), c.timeoutMs, { min: 0 });
    this.failureWindowMs = checkNumber(at(path, 'failureWindowMs'), c.failureWindowMs, {
      min: 0,
      minExclusive: true,
      allowInfinity: true,
    });
    this.#clock = options?.clock ?? systemClock;
    this.#failureTimes = new Float64Array(this.failureThreshold).fill(Number.NEGATIVE_INFINITY);
  }

  get state(): CircuitBreakerState {
    return this.#state;
  }

  async execute<T>(fn: Task<T>, parent?: ExecutionContext | AbortSignal): Promise<T> {
    checkTask(fn);
    if (!this.tryAcquirePermission()) throw new CallNotPermittedError(this.name, this.#state);
    // Counting needs no durations; time calls only for event listeners (a clock read is ~40 ns).
    const timed = this.events.hasListeners;
    const start = timed ? this.#clock.now() : 0;
    let result: T;
    try {
      result = await fn(contextOf(parent));
    } catch (error) {
      this.onError(timed ? this.#clock.now() - start : 0, error);
      throw error;
    }
    this.onSuccess(timed ? this.#clock.now() - start : 0);
    return result;
  }

  tryAcquirePermission(): boolean {
    if (this.#state === 'OPEN' && this.#clock.now() - this.#lastFailureAt >= this.timeoutMs) {
      this.#successCount = 0;
      this.#transition('HALF_OPEN');
    }
    if (this.#state !== 'OPEN') return true;
    if (this.events.wants('NOT_PERMITTED')) {
      this.events.emit({ type: 'NOT_PERMITTED', name: this.name, createdAt: this.#clock.now() });
    }
    return false;
  }

  acquirePermission(): void {
    if (!this.tryAcquirePermission()) throw new CallNotPermittedError(this.name, this.#state);
  }

  /** Nothing to give back: HALF_OPEN does not limit calls. */
  releasePermission(): void {}

  onSuccess(durationMs: number): void {
    if (this.events.hasListeners && this.events.wants('SUCCESS')) {
      this.events.emit({
        type: 'SUCCESS',
        name: this.name,
        createdAt: this.#clock.now(),
        elapsedMs: durationMs,
      });
    }
    if (this.#state === 'HALF_OPEN') {
      if (++this.#successCount >= this.successThreshold) {
        this.#failureCount = 0;
        this.#failureTimes.fill(Number.NEGATIVE_INFINITY);
        this.#transition('CLOSED');
      }
    } else if (this.#state === 'CLOSED' && this.failureWindowMs === Infinity) {
      this.#failureCount = 0;
    }
  }

  onError(durationMs: number, error: unknown): void {
    if (isLocalRejection(error)) return;
    const now = this.#clock.now();
    // The ERROR event precedes any transition it causes, as in Resilience4j.
    if (this.events.wants('ERROR')) {
      this.events.emit({ type: 'ERROR', name: this.name, createdAt: now, elapsedMs: durationMs, error });
    }
    this.#failureCount++;
    this.#lastFailureAt = now;
    this.#failureTimes[this.#ringHead] = now;
    this.#ringHead = (this.#ringHead + 1) % this.failureThreshold;
    if (this.#state === 'HALF_OPEN') this.#transition('OPEN');
    else if (this.#state === 'CLOSED' && this.#tripped(now)) this.#transition('OPEN');
  }

  onResult(durationMs: number, _result: unknown): void {
    this.onSuccess(durationMs);
  }

  /** Back to CLOSED with cleared counters. */
  reset(): void {
    this.#failureCount = this.#successCount = 0;
    this.#failureTimes.fill(Number.NEGATIVE_INFINITY);
    this.#transition('CLOSED');
    if (this.events.wants('RESET'))
      this.events.emit({ type: 'RESET', name: this.name, createdAt: this.#clock.now() });
  }

  #tripped(now: number): boolean {
    if (this.failureWindowMs === Infinity) return this.#failureCount >= this.failureThreshold;
    // The ring head now points at the oldest of the last `failureThreshold` failures.
    return now - this.#failureTimes[this.#ringHead] <= this.failureWindowMs;
  }

  #transition(to: CircuitBreakerState): void {
    const from = this.#state;
    this.#state = to;
    if (from !== to && this.events.wants('STATE_TRANSITION')) {
      this.events.emit({ type: 'STATE_TRANSITION', name: this.name, createdAt: this.#clock.now(), from, to });
    }
  }
}
