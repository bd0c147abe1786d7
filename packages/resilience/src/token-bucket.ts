import { type Clock, systemClock } from './clock.js';
import { contextOf, type ExecutionContext, type PolicyOptions, type Task } from './context.js';
import { ConfigError } from './errors.js';
import { EventPublisher } from './events.js';
import { type RateLimiterEvent, type RateLimiterLike, waitForPermit } from './rate-limiter.js';
import { at, checkKnownKeys, checkNumber, stripUndefined } from './validate.js';

/** Token bucket settings. */
export interface TokenBucketConfig {
  /** Most tokens the bucket holds (the burst size). */
  capacity?: number;
  /** Tokens added per second. */
  refillPerSecond?: number;
  /** How long a caller may wait for tokens (ms); 0 = never wait. */
  timeoutDurationMs?: number;
}

/** Defaults. */
export const TOKEN_BUCKET_DEFAULTS = { capacity: 100, refillPerSecond: 100, timeoutDurationMs: 0 } as const;

/**
 * A token bucket refilled continuously at `refillPerSecond` up to `capacity`: bursts up to the
 * capacity, then the refill rate. Waiting callers may borrow future tokens (the bucket goes
 * negative) so they are served in arrival order.
 *
 * @example
 * const bucket = new TokenBucket('per-key', { capacity: 20, refillPerSecond: 10 });
 * if (!bucket.tryAcquirePermission()) return reply429(bucket.reservePermission());
 */
export class TokenBucket implements RateLimiterLike {
  readonly name: string;
  readonly capacity: number;
  readonly refillPerSecond: number;
  readonly timeoutDurationMs: number;
  readonly events = new EventPublisher<RateLimiterEvent>();
  readonly #clock: Clock;
  #tokens: number;
  #updatedAt: number;

  constructor(name: string, config: TokenBucketConfig = {}, options?: PolicyOptions) {
    const path = options?.configPath ?? 'tokenBucket';
    checkKnownKeys(path, config, Object.keys(TOKEN_BUCKET_DEFAULTS));
    const c = { ...TOKEN_BUCKET_DEFAULTS, ...stripUndefined(config) };
    this.name = name;
    this.capacity = checkNumber(at(path, 'capacity'), c.capacity, { min: 1 });
    this.refillPerSecond = checkNumber(at(path, 'refillPerSecond'), c.refillPerSecond, {
      min: 0,
      minExclusive: true,
    });
    this.timeoutDurationMs = checkNumber(at(path, 'timeoutDurationMs'), c.timeoutDurationMs, { min: 0 });
    this.#clock = options?.clock ?? systemClock;
    this.#tokens = this.capacity;
    this.#updatedAt = this.#clock.now();
  }

  /** Tokens available now (negative while borrowed by waiting callers). */
  get availableTokens(): number {
    this.#refill();
    return this.#tokens;
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

  #refill(): void {
    const now = this.#clock.now();
    const elapsedMs = now - this.#updatedAt;
    if (elapsedMs > 0) {
      this.#tokens = Math.min(this.capacity, this.#tokens + (elapsedMs * this.refillPerSecond) / 1000);
      this.#updatedAt = now;
    }
  }

  #reserve(permits: number, timeoutMs: number): number {
    if (!(permits > 0) || permits > this.capacity) {
      throw new ConfigError('permits', `must be > 0 and <= capacity (${this.capacity}), got ${permits}`);
    }
    this.#refill();
    const missing = permits - this.#tokens;
    // Refill is computed in floating point; ignore shortfalls smaller than rounding error.
    const waitMs = missing > 1e-9 ? (missing * 1000) / this.refillPerSecond : 0;
    if (waitMs > timeoutMs) {
      if (this.events.hasListeners) this.events.emit({ type: 'FAILED_ACQUIRE', name: this.name, permits });
      return -1;
    }
    if (this.events.hasListeners) this.events.emit({ type: 'SUCCESSFUL_ACQUIRE', name: this.name, permits });
    this.#tokens -= permits;
    return waitMs;
  }
}
