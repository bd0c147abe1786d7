import { type Clock, systemClock } from './clock.js';
import { contextOf, ExecutionContext, type Policy, type PolicyOptions, type Task } from './context.js';
import { TimeoutError } from './errors.js';
import { EventPublisher } from './events.js';
import type { TimerBucket, TimerEntry, TimerWheel } from './timer-wheel.js';
import { timerWheelFor } from './timer-wheel.js';
import { at, checkBoolean, checkKnownKeys, checkNumber } from './validate.js';

/** TimeLimiter settings (Resilience4j's `TimeLimiterConfig`). */
export interface TimeLimiterConfig {
  /** How long a call may run (ms). */
  timeoutDurationMs?: number;
  /** Abort the callee's signal on timeout (Resilience4j's `cancelRunningFuture`). */
  cancelRunningFuture?: boolean;
}

/** Defaults, as in Resilience4j. */
export const TIME_LIMITER_DEFAULTS = { timeoutDurationMs: 1000, cancelRunningFuture: true } as const;

/** Events published by time limiters. */
export type TimeLimiterEvent =
  | { readonly type: 'SUCCESS'; readonly name: string }
  | { readonly type: 'ERROR'; readonly name: string; readonly error: unknown }
  | { readonly type: 'TIMEOUT'; readonly name: string };

/**
 * Bounds how long a call may run. The callee receives an {@link ExecutionContext} whose
 * `signal` aborts on timeout; the caller gets a `TimeoutError` (code `MESH_ERR_TIMEOUT`) at the
 * deadline even if the callee ignores the signal. Nothing is allocated for signals or host
 * timers on the fast path: deadlines sit on a shared {@link TimerWheel}, and an AbortController
 * exists only if the callee reads `signal`. The deadline never exceeds the caller's.
 *
 * @example
 * const limiter = new TimeLimiter('inventory', { timeoutDurationMs: 2000 });
 * const res = await limiter.execute(({ signal }) => fetch(url, { signal }));
 */
export class TimeLimiter implements Policy {
  readonly name: string;
  readonly timeoutDurationMs: number;
  readonly cancelRunningFuture: boolean;
  readonly events = new EventPublisher<TimeLimiterEvent>();
  readonly clock: Clock;
  readonly wheel: TimerWheel;

  constructor(
    name: string,
    config: TimeLimiterConfig = {},
    options?: PolicyOptions & { wheel?: TimerWheel },
  ) {
    const path = options?.configPath ?? 'timeLimiter';
    checkKnownKeys(path, config, Object.keys(TIME_LIMITER_DEFAULTS));
    this.name = name;
    this.timeoutDurationMs = checkNumber(
      at(path, 'timeoutDurationMs'),
      config.timeoutDurationMs ?? TIME_LIMITER_DEFAULTS.timeoutDurationMs,
      { min: 0, minExclusive: true },
    );
    this.cancelRunningFuture = checkBoolean(
      at(path, 'cancelRunningFuture'),
      config.cancelRunningFuture ?? TIME_LIMITER_DEFAULTS.cancelRunningFuture,
    );
    this.clock = options?.clock ?? systemClock;
    this.wheel = options?.wheel ?? timerWheelFor(this.clock);
  }

  async execute<T>(fn: Task<T>, parent?: ExecutionContext | AbortSignal): Promise<T> {
    const call = new TimeoutCall(this, contextOf(parent));
    const now = this.clock.now();
    const deadline = Math.min(now + this.timeoutDurationMs, call.deadline);
    if (deadline <= now) throw this.#timedOut(call);
    this.wheel.schedule(call, deadline);
    try {
      const inner = fn(call);
      call.inner = inner;
      // A synchronous result cannot be late; only a pending promise needs the race.
      const result = (isThenable(inner) ? await new TimeoutRace(call) : inner) as T;
      if (this.events.hasListeners) this.events.emit({ type: 'SUCCESS', name: this.name });
      return result;
    } catch (error) {
      if (this.events.hasListeners && !call.timedOut)
        this.events.emit({ type: 'ERROR', name: this.name, error });
      throw error;
    } finally {
      this.wheel.cancel(call);
    }
  }

  /** @internal Called by the wheel when a call's deadline passes. */
  timedOut(call: TimeoutCall): TimeoutError {
    return this.#timedOut(call);
  }

  #timedOut(call: TimeoutCall): TimeoutError {
    const error = new TimeoutError(this.name, this.timeoutDurationMs);
    call.timedOut = true;
    call.error = error;
    if (this.cancelRunningFuture) call.abort(error);
    if (this.events.hasListeners) this.events.emit({ type: 'TIMEOUT', name: this.name });
    return error;
  }
}

/** One call's context and wheel entry (a single allocation per call). */
class TimeoutCall extends ExecutionContext implements TimerEntry {
  wheelPrev: TimerEntry | null = null;
  wheelNext: TimerEntry | null = null;
  wheelBucket: TimerBucket | null = null;
  inner: unknown = undefined;
  timedOut = false;
  error: unknown = undefined;
  reject: ((error: unknown) => void) | undefined = undefined;
  readonly #limiter: TimeLimiter;

  constructor(limiter: TimeLimiter, parent: ExecutionContext) {
    super(parent);
    this.#limiter = limiter;
  }

  onDeadline(): void {
    const error = this.#limiter.timedOut(this);
    this.reject?.(error);
    this.reject = undefined;
  }
}

/**
 * A thenable the limiter awaits: the engine hands it resolving functions, which it forwards to
 * the callee's promise and keeps for the deadline — a race without Promise.race's allocations.
 */
class TimeoutRace {
  readonly #call: TimeoutCall;
  constructor(call: TimeoutCall) {
    this.#call = call;
  }

  // biome-ignore lint/suspicious/noThenProperty: deliberately a thenable; see the class comment.
  then(resolve: (value: unknown) => void, reject: (error: unknown) => void): void {
    const call = this.#call;
    if (call.timedOut) {
      reject(call.error);
      return;
    }
    call.reject = reject;
    const inner = call.inner;
    if (
      inner !== null &&
      typeof inner === 'object' &&
      typeof (inner as PromiseLike<unknown>).then === 'function'
    ) {
      (inner as PromiseLike<unknown>).then(resolve, reject);
    } else {
      resolve(inner);
    }
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as PromiseLike<unknown>).then === 'function'
  );
}
