import type { CircuitBreakerMetrics } from './circuit-breaker-types.js';

/** Outcome of one recorded call. */
export const Outcome = { Success: 0, Failure: 1, SlowSuccess: 2, SlowFailure: 3 } as const;
/** One of the {@link Outcome} values. */
export type Outcome = (typeof Outcome)[keyof typeof Outcome];

/**
 * Aggregated counts over a circuit breaker's window. Both window kinds keep running totals, so
 * reading them is O(1) and recording is O(1) amortised.
 */
export interface SlidingWindow {
  /** Records one outcome at time `nowMs`. */
  record(outcome: Outcome, nowMs: number): void;
  /** Drops outcomes that fell out of the window by `nowMs` (time-based windows only). */
  advance(nowMs: number): void;
  readonly totalCalls: number;
  readonly failedCalls: number;
  readonly slowCalls: number;
  readonly slowFailedCalls: number;
}

/** Resilience4j COUNT_BASED: the last `size` calls, in a ring buffer. */
export class CountBasedWindow implements SlidingWindow {
  totalCalls = 0;
  failedCalls = 0;
  slowCalls = 0;
  slowFailedCalls = 0;
  readonly #ring: Uint8Array;
  #head = 0;

  constructor(size: number) {
    this.#ring = new Uint8Array(size);
  }

  record(outcome: Outcome, _nowMs: number): void {
    const ring = this.#ring;
    if (this.totalCalls === ring.length) this.#count(ring[this.#head] as Outcome, -1);
    else this.totalCalls++;
    ring[this.#head] = outcome;
    this.#count(outcome, 1);
    this.#head = this.#head + 1 === ring.length ? 0 : this.#head + 1;
  }

  advance(_nowMs: number): void {}

  #count(outcome: Outcome, delta: number): void {
    if (outcome === Outcome.Failure) this.failedCalls += delta;
    else if (outcome === Outcome.SlowSuccess) this.slowCalls += delta;
    else if (outcome === Outcome.SlowFailure) {
      this.slowCalls += delta;
      this.failedCalls += delta;
      this.slowFailedCalls += delta;
    }
  }
}

/**
 * Resilience4j TIME_BASED: the calls of the last `sizeSeconds` epoch seconds, one bucket per
 * second. A bucket is cleared (and subtracted from the totals) when its second leaves the window.
 */
export class TimeBasedWindow implements SlidingWindow {
  totalCalls = 0;
  failedCalls = 0;
  slowCalls = 0;
  slowFailedCalls = 0;
  readonly #size: number;
  // Per bucket: [calls, failed, slow, slowFailed], flattened.
  readonly #buckets: Int32Array;
  #headSecond = Number.NEGATIVE_INFINITY;

  constructor(sizeSeconds: number) {
    this.#size = sizeSeconds;
    this.#buckets = new Int32Array(sizeSeconds * 4);
  }

  record(outcome: Outcome, nowMs: number): void {
    this.advance(nowMs);
    const i = (((this.#headSecond % this.#size) + this.#size) % this.#size) * 4;
    const b = this.#buckets;
    b[i]++;
    this.totalCalls++;
    if (outcome === Outcome.Failure || outcome === Outcome.SlowFailure) {
      b[i + 1]++;
      this.failedCalls++;
    }
    if (outcome === Outcome.SlowSuccess || outcome === Outcome.SlowFailure) {
      b[i + 2]++;
      this.slowCalls++;
    }
    if (outcome === Outcome.SlowFailure) {
      b[i + 3]++;
      this.slowFailedCalls++;
    }
  }

  advance(nowMs: number): void {
    const second = Math.floor(nowMs / 1000);
    if (second <= this.#headSecond) return;
    const steps = second - this.#headSecond;
    if (steps >= this.#size) this.#clearAll();
    else for (let s = this.#headSecond + 1; s <= second; s++) this.#clearBucket(s);
    this.#headSecond = second;
  }

  #clearBucket(second: number): void {
    const i = (((second % this.#size) + this.#size) % this.#size) * 4;
    const b = this.#buckets;
    this.totalCalls -= b[i];
    this.failedCalls -= b[i + 1];
    this.slowCalls -= b[i + 2];
    this.slowFailedCalls -= b[i + 3];
    b.fill(0, i, i + 4);
  }

  #clearAll(): void {
    this.#buckets.fill(0);
    this.totalCalls = this.failedCalls = this.slowCalls = this.slowFailedCalls = 0;
  }
}

/** `evaluateWindow` verdict: fewer calls than the minimum, so no rate is computed. */
export const BELOW_MINIMUM = -1;
/** `evaluateWindow` verdict bit: the failure rate reached its threshold. */
export const FAILURE_EXCEEDED = 1;
/** `evaluateWindow` verdict bit: the slow-call rate reached its threshold. */
export const SLOW_EXCEEDED = 2;

/**
 * BELOW_MINIMUM, 0 (below both thresholds) or a bit set of exceeded thresholds. Thresholds trip
 * at `>=`, compared in integers (`failed × 100 ≥ threshold × total`) to avoid rounding surprises.
 */
export function evaluateWindow(
  w: SlidingWindow,
  minimumCalls: number,
  failureRateThreshold: number,
  slowCallRateThreshold: number,
): number {
  const total = w.totalCalls;
  if (total === 0 || total < minimumCalls) return BELOW_MINIMUM;
  let verdict = 0;
  if (w.failedCalls * 100 >= failureRateThreshold * total) verdict |= FAILURE_EXCEEDED;
  if (w.slowCalls * 100 >= slowCallRateThreshold * total) verdict |= SLOW_EXCEEDED;
  return verdict;
}

/** Resilience4j-style metrics of a window; rates are -1 below the minimum number of calls. */
export function snapshotMetrics(
  w: SlidingWindow,
  minimumCalls: number,
  notPermitted: number,
): CircuitBreakerMetrics {
  const total = w.totalCalls;
  const below = total === 0 || total < minimumCalls;
  return {
    failureRate: below ? -1 : (w.failedCalls * 100) / total,
    slowCallRate: below ? -1 : (w.slowCalls * 100) / total,
    numberOfBufferedCalls: total,
    numberOfFailedCalls: w.failedCalls,
    numberOfSuccessfulCalls: total - w.failedCalls,
    numberOfSlowCalls: w.slowCalls,
    numberOfSlowSuccessfulCalls: w.slowCalls - w.slowFailedCalls,
    numberOfSlowFailedCalls: w.slowFailedCalls,
    numberOfNotPermittedCalls: notPermitted,
  };
}
