import { type Clock, systemClock } from './clock.js';
import { contextOf, type ExecutionContext, type Policy, type PolicyOptions, type Task } from './context.js';
import { ConfigError, RequestNotPermittedError } from './errors.js';
import { EventPublisher } from './events.js';
import { sleep } from './sleep.js';
import { at, checkKnownKeys, checkNumber, stripUndefined } from './validate.js';

/** Events published by rate limiters (Resilience4j's `RateLimiterEvent.Type` names). */
export type RateLimiterEvent = {
  readonly type: 'SUCCESSFUL_ACQUIRE' | 'FAILED_ACQUIRE';
  readonly name: string;
  readonly permits: number;
};

/** What both rate limiters offer. */
export interface RateLimiterLike extends Policy {
  readonly name: string;
  readonly events: EventPublisher<RateLimiterEvent>;
  /** Takes `permits` now if available; never waits. */
  tryAcquirePermission(permits?: number): boolean;
  /**
   * Reserves `permits`, returning how long (ms) the caller must wait before using them: 0 = now,
   * -1 = not within the limiter's timeout (nothing reserved).
   */
  reservePermission(permits?: number): number;
  /** Reserves and waits; rejects with `RequestNotPermittedError` (code `MESH_ERR_RATE_LIMITED`). */
  acquirePermission(permits?: number, parent?: ExecutionContext | AbortSignal): Promise<void>;
}

/** Settings of Resilience4j's `RateLimiterConfig`. */
export interface RateLimiterConfig {
  /** Permissions available in each refresh period. */
  limitForPeriod?: number;
  /** Length of a refresh period (ms). */
  limitRefreshPeriodMs?: number;
  /** How long a caller may wait for a permission (ms). */
  timeoutDurationMs?: number;
}

/** Defaults, as in Resilience4j. */
export const RATE_LIMITER_DEFAULTS = {
  limitForPeriod: 50,
  limitRefreshPeriodMs: 500,
  timeoutDurationMs: 5000,
} as const;

/**
 * Resilience4j's `AtomicRateLimiter`: time is cut into cycles of `limitRefreshPeriodMs` that
 * each grant `limitForPeriod` permissions; a caller may reserve permissions of future cycles if
 * it can wait for them within `timeoutDurationMs`.
 *
 * @example
 * const limiter = new RateLimiter('partner-api', { limitForPeriod: 10, limitRefreshPeriodMs: 1000, timeoutDurationMs: 0 });
 * if (!limiter.tryAcquirePermission()) return reply429();
 */
export class RateLimiter implements RateLimiterLike {
  readonly name: string;
  readonly limitForPeriod: number;
  readonly limitRefreshPeriodMs: number;
  readonly timeoutDurationMs: number;
  readonly events = new EventPublisher<RateLimiterEvent>();
  readonly #clock: Clock;
  readonly #start: number;
  #activeCycle = 0;
  #activePermissions: number;

  constructor(name: string, config: RateLimiterConfig = {}, options?: PolicyOptions) {
    const path = options?.configPath ?? 'rateLimiter';
    checkKnownKeys(path, config, Object.keys(RATE_LIMITER_DEFAULTS));
    const c = { ...RATE_LIMITER_DEFAULTS, ...stripUndefined(config) };
    this.name = name;
    this.limitForPeriod = checkNumber(at(path, 'limitForPeriod'), c.limitForPeriod, {
      min: 1,
      integer: true,
    });
    this.limitRefreshPeriodMs = checkNumber(at(path, 'limitRefreshPeriodMs'), c.limitRefreshPeriodMs, {
      min: 0,
      minExclusive: true,
    });
    this.timeoutDurationMs = checkNumber(at(path, 'timeoutDurationMs'), c.timeoutDurationMs, { min: 0 });
    this.#clock = options?.clock ?? systemClock;
    this.#start = this.#clock.now();
    this.#activePermissions = this.limitForPeriod;
  }

  /** Permissions left in the current cycle (negative when future cycles are reserved). */
  get availablePermissions(): number {
    this.#refresh(this.#clock.now() - this.#start);
    return this.#activePermissions;
  }

  tryAcquirePermission(permits = 1): boolean {
    return this.#reserve(permits, 0) === 0;
  }

  reservePermission(permits = 1): number {
    return this.#reserve(permits, this.timeoutDurationMs);
  }

  async acquirePermission(permits = 1, parent?: ExecutionContext | AbortSignal): Promise<void> {
    await waitForPermit(this.name, this.reservePermission(permits), this.#clock, contextOf(parent));
  }

  async execute<T>(fn: Task<T>, parent?: ExecutionContext | AbortSignal): Promise<T> {
    const context = contextOf(parent);
    const wait = waitForPermit(this.name, this.#reserve(1, this.timeoutDurationMs), this.#clock, context);
    if (wait) await wait;
    return fn(context);
  }

  #refresh(elapsedMs: number): void {
    const cycle = Math.floor(elapsedMs / this.limitRefreshPeriodMs);
    if (cycle > this.#activeCycle) {
      const refilled = this.#activePermissions + (cycle - this.#activeCycle) * this.limitForPeriod;
      this.#activePermissions = Math.min(refilled, this.limitForPeriod);
      this.#activeCycle = cycle;
    }
  }

  #reserve(permits: number, timeoutMs: number): number {
    // More than one period's worth is allowed: the caller then waits several cycles.
    if (!Number.isInteger(permits) || permits < 1) {
      throw new ConfigError('permits', `must be a positive integer, got ${permits}`);
    }
    const elapsed = this.#clock.now() - this.#start;
    this.#refresh(elapsed);
    let waitMs = 0;
    if (this.#activePermissions < permits) {
      const period = this.limitRefreshPeriodMs;
      const toNextCycle = (this.#activeCycle + 1) * period - elapsed;
      const missingAfterNext = permits - (this.#activePermissions + this.limitForPeriod);
      const fullCycles = missingAfterNext > 0 ? Math.ceil(missingAfterNext / this.limitForPeriod) : 0;
      waitMs = fullCycles * period + toNextCycle;
    }
    if (waitMs > timeoutMs) {
      if (this.events.hasListeners) this.events.emit({ type: 'FAILED_ACQUIRE', name: this.name, permits });
      return -1;
    }
    if (this.events.hasListeners) this.events.emit({ type: 'SUCCESSFUL_ACQUIRE', name: this.name, permits });
    this.#activePermissions -= permits;
    return waitMs;
  }
}

/**
 * Turns a reservation into the caller's wait: throws {@link RequestNotPermittedError} when it
 * was refused (-1), returns the sleep when there is one, and nothing (no extra tick) when the
 * permit is immediate. Shared by the limiters.
 * @internal
 */
export function waitForPermit(
  name: string,
  waitMs: number,
  clock: Clock,
  context: ExecutionContext,
): Promise<void> | undefined {
  if (waitMs < 0) throw new RequestNotPermittedError(name);
  return waitMs > 0 ? sleep(clock, waitMs, context) : undefined;
}
