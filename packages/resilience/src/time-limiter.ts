import { type Clock, systemClock } from './clock.js';
import { contextOf, ExecutionContext, type Policy, type PolicyOptions, type Task } from './context.js';
import { TimeoutError } from './errors.js';
import { EventPublisher } from './events.js';
import type { TimerBucket, TimerEntry, TimerWheel } from './timer-wheel.js';
import { timerWheelFor } from './timer-wheel.js';
import { at, checkBoolean, checkKnownKeys, checkNumber, taskTypeError } from './validate.js';

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

let settleCall: (call: TimeoutCall, value: unknown, failed: boolean) => void;
let timeOutCall: (call: TimeoutCall) => TimeoutError;

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

  execute<T>(fn: Task<T>, parent?: ExecutionContext | AbortSignal): Promise<T> {
    if (typeof fn !== 'function') return Promise.reject(taskTypeError(fn));
    const call = new TimeoutCall(this, contextOf(parent));
    const now = this.clock.now();
    const deadline = Math.min(now + this.timeoutDurationMs, call.deadline);
    if (deadline <= now) return Promise.reject(this.#timedOut(call));
    this.wheel.schedule(call, deadline);
    let inner: T | PromiseLike<T>;
    try {
      inner = fn(call);
    } catch (error) {
      this.wheel.cancel(call);
      this.#emitError(call, error);
      return Promise.reject(error);
    }
    if (call.timedOut) {
      // The deadline passed while `fn` ran synchronously (a blocking callee, or a test clock).
      if (isThenable(inner)) inner.then(undefined, noop);
      return Promise.reject(call.error);
    }
    if (!isThenable(inner)) {
      // A synchronous result cannot be late.
      this.wheel.cancel(call);
      if (this.events.hasListeners) this.events.emit({ type: 'SUCCESS', name: this.name });
      return Promise.resolve(inner);
    }
    const promise = new Promise<T>(captureResolvers);
    call.resolve = capturedResolve;
    call.reject = capturedReject;
    const settler = takeSettler(call);
    // Pooled handlers must run at most once; only a native promise guarantees that, so foreign
    // thenables are adopted into one first.
    const native = inner instanceof Promise ? inner : Promise.resolve(inner);
    native.then(settler.onFulfilled, settler.onRejected);
    return promise;
  }

  static {
    // Module-private access for the call and handler classes below; not part of the API.
    settleCall = (call, value, failed) => call.limiter.#settled(call, value, failed);
    timeOutCall = (call) => call.limiter.#timedOut(call);
  }

  /** The callee's promise settled (before or after the deadline). */
  #settled(call: TimeoutCall, value: unknown, failed: boolean): void {
    this.wheel.cancel(call);
    if (call.timedOut) return; // the caller already has its TimeoutError
    if (failed) {
      this.#emitError(call, value);
      call.reject(value);
    } else {
      if (this.events.hasListeners) this.events.emit({ type: 'SUCCESS', name: this.name });
      call.resolve(value);
    }
  }

  /** Marks `call` timed out: aborts its signal (if configured) and returns the error. */
  #timedOut(call: TimeoutCall): TimeoutError {
    const error = new TimeoutError(this.name, this.timeoutDurationMs);
    call.timedOut = true;
    call.error = error;
    if (this.cancelRunningFuture) call.abort(error);
    if (this.events.hasListeners) this.events.emit({ type: 'TIMEOUT', name: this.name });
    return error;
  }

  #emitError(_call: TimeoutCall, error: unknown): void {
    if (this.events.hasListeners) this.events.emit({ type: 'ERROR', name: this.name, error });
  }
}

// `new Promise(executor)` runs the executor synchronously, so one shared executor can hand the
// resolving functions over through these two slots — no closure per call.
let capturedResolve: (value: unknown) => void = noop;
let capturedReject: (error: unknown) => void = noop;
function captureResolvers(resolve: (value: never) => void, reject: (error: unknown) => void): void {
  capturedResolve = resolve as (value: unknown) => void;
  capturedReject = reject;
}
function noop(): void {}

/**
 * The pair of reaction handlers attached to a callee's promise. Their closures are created once
 * per Settler and Settlers are pooled, so a call borrows handlers instead of allocating them.
 */
class Settler {
  call: TimeoutCall | undefined = undefined;
  next: Settler | undefined = undefined;
  readonly onFulfilled = (value: unknown): void => this.#settle(value, false);
  readonly onRejected = (error: unknown): void => this.#settle(error, true);

  #settle(value: unknown, failed: boolean): void {
    const call = this.call!;
    this.call = undefined;
    releaseSettler(this);
    settleCall(call, value, failed);
  }
}

const MAX_POOLED_SETTLERS = 1024;
let freeSettlers: Settler | undefined;
let pooledSettlers = 0;

function takeSettler(call: TimeoutCall): Settler {
  let settler = freeSettlers;
  if (settler === undefined) settler = new Settler();
  else {
    freeSettlers = settler.next;
    settler.next = undefined;
    pooledSettlers--;
  }
  settler.call = call;
  return settler;
}

function releaseSettler(settler: Settler): void {
  // A callee that never settles keeps its Settler; the pool simply makes another.
  if (pooledSettlers >= MAX_POOLED_SETTLERS) return;
  settler.next = freeSettlers;
  freeSettlers = settler;
  pooledSettlers++;
}

/** One call's context and wheel entry (a single allocation per call). */
class TimeoutCall extends ExecutionContext implements TimerEntry {
  wheelPrev: TimerEntry | null = null;
  wheelNext: TimerEntry | null = null;
  wheelBucket: TimerBucket | null = null;
  timedOut = false;
  error: TimeoutError | undefined = undefined;
  resolve: (value: unknown) => void = noop;
  reject: (error: unknown) => void = noop;
  readonly limiter: TimeLimiter;

  constructor(limiter: TimeLimiter, parent: ExecutionContext) {
    super(parent);
    this.limiter = limiter;
  }

  onDeadline(): void {
    this.reject(timeOutCall(this));
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as PromiseLike<unknown>).then === 'function'
  );
}
