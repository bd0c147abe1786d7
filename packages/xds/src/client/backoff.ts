/** Options of {@link Backoff}: delays in milliseconds. */
export interface BackoffOptions {
  /** First delay ceiling (default 250 ms). */
  initialMs?: number;
  /** Largest delay ceiling (default 5,000 ms). */
  maxMs?: number;
  /** Source of randomness in [0, 1) (default `Math.random`), injectable for tests. */
  random?: () => number;
}

/**
 * Exponential backoff with full jitter: the n-th delay is uniform in
 * `[0, min(maxMs, initialMs * 2^n))`, so a fleet of proxies that lost the control plane at the
 * same instant does not reconnect in lockstep.
 */
export class Backoff {
  private attempt = 0;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly random: () => number;

  constructor(options: BackoffOptions = {}) {
    this.initialMs = options.initialMs ?? 250;
    this.maxMs = options.maxMs ?? 5_000;
    this.random = options.random ?? Math.random;
  }

  /** The next delay, in milliseconds. */
  nextDelayMs(): number {
    const ceiling = Math.min(this.maxMs, this.initialMs * 2 ** this.attempt);
    if (ceiling < this.maxMs) this.attempt++;
    return Math.floor(this.random() * ceiling);
  }

  /** Starts over (after a stream made progress). */
  reset(): void {
    this.attempt = 0;
  }
}
