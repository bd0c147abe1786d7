import { ConfigError } from './errors.js';

/**
 * How long to wait before retry number `attempt` (1 = the wait after the first failed call).
 * `previousWaitMs` is the last wait returned (0 before the first), for stateful jitter.
 * `outcome` is what is being retried: the thrown error, or the result `retryOnResult` matched
 * (Resilience4j's `intervalBiFunction`), e.g. to honour a `Retry-After` header.
 */
export type IntervalFunction = (attempt: number, previousWaitMs: number, outcome?: unknown) => number;

/** A random source in [0, 1); injectable so tests are deterministic. */
export type RandomSource = () => number;

/** Resilience4j's default randomization factor. */
export const DEFAULT_RANDOMIZATION_FACTOR = 0.5;
/** Resilience4j's default exponential multiplier. */
export const DEFAULT_MULTIPLIER = 1.5;

function positive(name: string, value: number, allowZero = false): void {
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0 || (!allowZero && value === 0)) {
    throw new ConfigError(
      `intervalFunction.${name}`,
      `must be a ${allowZero ? 'non-negative' : 'positive'} number, got ${value}`,
    );
  }
}

function randomize(ms: number, factor: number, random: RandomSource): number {
  const delta = factor * ms;
  return ms - delta + random() * (2 * delta);
}

/**
 * Interval functions under Resilience4j's `IntervalFunction` names (milliseconds throughout).
 *
 * @example
 * // Resilience4j: IntervalFunction.ofExponentialRandomBackoff(Duration.ofMillis(200), 2.0, Duration.ofSeconds(10))
 * const backoff = IntervalFunction.ofExponentialRandomBackoff(200, 2.0, 10_000);
 */
export const IntervalFunction = {
  /** The same wait every time. */
  of(waitMs: number): IntervalFunction {
    positive('waitMs', waitMs, true);
    return () => waitMs;
  },

  /** `waitMs` ± `randomizationFactor` (uniform). */
  ofRandomized(
    waitMs: number,
    randomizationFactor = DEFAULT_RANDOMIZATION_FACTOR,
    random: RandomSource = Math.random,
  ) {
    positive('waitMs', waitMs, true);
    checkFactor(randomizationFactor);
    return ((_attempt: number) => randomize(waitMs, randomizationFactor, random)) as IntervalFunction;
  },

  /** `initialMs × multiplier^(attempt-1)`, capped at `maxMs`. */
  ofExponentialBackoff(
    initialMs: number,
    multiplier = DEFAULT_MULTIPLIER,
    maxMs = Infinity,
  ): IntervalFunction {
    positive('initialIntervalMs', initialMs);
    checkMultiplier(multiplier);
    positive('maxIntervalMs', maxMs);
    return (attempt) => Math.min(initialMs * multiplier ** (attempt - 1), maxMs);
  },

  /**
   * Exponential backoff with uniform jitter of ± `randomizationFactor` around each step; the
   * result never exceeds `maxMs`.
   */
  ofExponentialRandomBackoff(
    initialMs: number,
    multiplier = DEFAULT_MULTIPLIER,
    maxMs = Infinity,
    randomizationFactor = DEFAULT_RANDOMIZATION_FACTOR,
    random: RandomSource = Math.random,
  ): IntervalFunction {
    const exponential = IntervalFunction.ofExponentialBackoff(initialMs, multiplier, maxMs);
    checkFactor(randomizationFactor);
    return (attempt, previous) =>
      Math.min(randomize(exponential(attempt, previous), randomizationFactor, random), maxMs);
  },

  /**
   * AWS "decorrelated jitter": `min(maxMs, random(baseMs, previous × 3))`. Spreads retries of
   * many clients apart better than plain exponential jitter.
   */
  ofDecorrelatedJitter(baseMs: number, maxMs: number, random: RandomSource = Math.random): IntervalFunction {
    positive('baseMs', baseMs);
    positive('maxMs', maxMs);
    return (_attempt, previous) => {
      const upper = Math.max(baseMs, previous * 3);
      return Math.min(maxMs, baseMs + random() * (upper - baseMs));
    };
  },
};

function checkFactor(factor: number): void {
  if (!(factor >= 0 && factor < 1)) {
    throw new ConfigError('intervalFunction.randomizationFactor', `must be in [0, 1), got ${factor}`);
  }
}

function checkMultiplier(multiplier: number): void {
  if (!(multiplier >= 1))
    throw new ConfigError('intervalFunction.multiplier', `must be >= 1, got ${multiplier}`);
}
