import { type Clock, systemClock, type TimerHandle } from './clock.js';
import {
  contextOf,
  type ExecutionContext,
  type Policy,
  type PolicyOptions,
  ROOT_CONTEXT,
  type Task,
} from './context.js';
import { AbortedError, BulkheadFullError } from './errors.js';
import { EventPublisher } from './events.js';
import { at, checkKnownKeys, checkNumber, stripUndefined } from './validate.js';

/** Bulkhead settings (Resilience4j's semaphore `BulkheadConfig`, plus a queue bound). */
export interface BulkheadConfig {
  /** Calls allowed to run at once. */
  maxConcurrentCalls?: number;
  /** How long a call may wait for a slot (ms); 0 rejects at once when full; Infinity waits forever. */
  maxWaitDurationMs?: number;
  /** Most calls allowed to wait at once (the bounded-queue variant); Infinity = unbounded. */
  maxQueueSize?: number;
}

/** Defaults, as in Resilience4j. */
export const BULKHEAD_DEFAULTS = {
  maxConcurrentCalls: 25,
  maxWaitDurationMs: 0,
  maxQueueSize: Infinity,
} as const;

/** Events published by bulkheads (Resilience4j names). */
export type BulkheadEvent =
  | { readonly type: 'CALL_PERMITTED'; readonly name: string }
  | { readonly type: 'CALL_REJECTED'; readonly name: string }
  | { readonly type: 'CALL_FINISHED'; readonly name: string };

/** A queued caller; linked so a cancelled waiter leaves in O(1). */
class Waiter {
  queued = false;
  prev: Waiter | null = null;
  next: Waiter | null = null;
  timer: TimerHandle = undefined;
  resolve: () => void = noop;
  reject: (error: unknown) => void = noop;
  onAbort: (() => void) | undefined = undefined;
  signal: AbortSignal | undefined = undefined;
}

function noop(): void {}

/**
 * Limits concurrent calls to one dependency so it cannot exhaust the caller. When full, callers
 * wait up to `maxWaitDurationMs` in FIFO order (at most `maxQueueSize` of them) and are handed
 * the slot directly on release, so nobody can barge past a waiter. Rejections throw
 * `BulkheadFullError` (code `MESH_ERR_BULKHEAD_FULL`), which breakers ignore by default.
 *
 * @example
 * const bulkhead = new Bulkhead('inventory', { maxConcurrentCalls: 10, maxWaitDurationMs: 50 });
 * await bulkhead.execute(() => inventory.check(42));
 */
export class Bulkhead implements Policy {
  readonly name: string;
  readonly maxConcurrentCalls: number;
  readonly maxWaitDurationMs: number;
  readonly maxQueueSize: number;
  readonly events = new EventPublisher<BulkheadEvent>();
  readonly #clock: Clock;
  #available: number;
  #head: Waiter | null = null;
  #tail: Waiter | null = null;
  #queued = 0;

  constructor(name: string, config: BulkheadConfig = {}, options?: PolicyOptions) {
    const path = options?.configPath ?? 'bulkhead';
    checkKnownKeys(path, config, Object.keys(BULKHEAD_DEFAULTS));
    const c = { ...BULKHEAD_DEFAULTS, ...stripUndefined(config) };
    this.name = name;
    this.maxConcurrentCalls = checkNumber(at(path, 'maxConcurrentCalls'), c.maxConcurrentCalls, {
      min: 1,
      integer: true,
    });
    this.maxWaitDurationMs = checkNumber(at(path, 'maxWaitDurationMs'), c.maxWaitDurationMs, {
      min: 0,
      allowInfinity: true,
    });
    this.maxQueueSize = checkNumber(at(path, 'maxQueueSize'), c.maxQueueSize, {
      min: 0,
      integer: true,
      allowInfinity: true,
    });
    this.#available = this.maxConcurrentCalls;
    this.#clock = options?.clock ?? systemClock;
  }

  /** Free slots right now. */
  get availableConcurrentCalls(): number {
    return this.#available;
  }

  /** Callers waiting for a slot. */
  get queueDepth(): number {
    return this.#queued;
  }

  /** Takes a slot only if one is free now (synchronous fast path). */
  tryAcquirePermission(): boolean {
    if (this.#available > 0) {
      this.#available--;
      return true;
    }
    return false;
  }

  /** Takes a slot, waiting as configured; rejects with `BulkheadFullError` or `AbortedError`. */
  acquirePermission(parent?: ExecutionContext | AbortSignal): Promise<void> {
    if (this.tryAcquirePermission()) return Promise.resolve();
    return this.#wait(contextOf(parent));
  }

  /** Returns a slot: handed straight to the oldest waiter, if any. */
  releasePermission(): void {
    const waiter = this.#head;
    if (waiter === null) {
      if (this.#available < this.maxConcurrentCalls) this.#available++;
      return;
    }
    this.#unlink(waiter);
    waiter.resolve();
  }

  async execute<T>(fn: Task<T>, parent?: ExecutionContext | AbortSignal): Promise<T> {
    const context = contextOf(parent);
    if (this.#available > 0) this.#available--;
    else {
      await this.#wait(context);
      // The slot may arrive after the caller gave up; hand it on instead of running.
      if (context.aborted) {
        this.releasePermission();
        throw new AbortedError(context.abortReason);
      }
    }
    if (this.events.hasListeners) this.events.emit({ type: 'CALL_PERMITTED', name: this.name });
    try {
      return await fn(context);
    } finally {
      this.releasePermission();
      if (this.events.hasListeners) this.events.emit({ type: 'CALL_FINISHED', name: this.name });
    }
  }

  #wait(context: ExecutionContext): Promise<void> {
    if (this.maxWaitDurationMs === 0 || this.#queued >= this.maxQueueSize) {
      if (this.events.hasListeners) this.events.emit({ type: 'CALL_REJECTED', name: this.name });
      const reason = this.maxWaitDurationMs === 0 ? 'no free slot' : `queue of ${this.maxQueueSize} is full`;
      return Promise.reject(new BulkheadFullError(this.name, reason));
    }
    if (context.aborted) return Promise.reject(new AbortedError(context.abortReason));
    return new Promise<void>((resolve, reject) => {
      const waiter = new Waiter();
      waiter.resolve = resolve;
      waiter.reject = reject;
      this.#append(waiter);
      if (this.maxWaitDurationMs !== Infinity) {
        waiter.timer = this.#clock.setTimeout(() => {
          waiter.timer = undefined;
          this.#unlink(waiter);
          if (this.events.hasListeners) this.events.emit({ type: 'CALL_REJECTED', name: this.name });
          reject(new BulkheadFullError(this.name, `no slot within ${this.maxWaitDurationMs} ms`));
        }, this.maxWaitDurationMs);
      }
      // The shared root never aborts: listening to it would only pile listeners onto one signal.
      if (context === ROOT_CONTEXT) return;
      const signal = context.signal;
      waiter.signal = signal;
      waiter.onAbort = () => {
        this.#unlink(waiter);
        reject(new AbortedError(signal.reason));
      };
      signal.addEventListener('abort', waiter.onAbort, { once: true });
    });
  }

  #append(waiter: Waiter): void {
    waiter.queued = true;
    waiter.prev = this.#tail;
    if (this.#tail === null) this.#head = waiter;
    else this.#tail.next = waiter;
    this.#tail = waiter;
    this.#queued++;
  }

  /** Removes a waiter from the queue and drops its timer and abort listener. */
  #unlink(waiter: Waiter): void {
    if (!waiter.queued) return;
    waiter.queued = false;
    if (waiter.prev === null) this.#head = waiter.next;
    else waiter.prev.next = waiter.next;
    if (waiter.next === null) this.#tail = waiter.prev;
    else waiter.next.prev = waiter.prev;
    waiter.prev = waiter.next = null;
    this.#queued--;
    if (waiter.timer !== undefined) this.#clock.clearTimeout(waiter.timer);
    if (waiter.onAbort !== undefined) waiter.signal?.removeEventListener('abort', waiter.onAbort);
    waiter.onAbort = undefined;
  }
}
