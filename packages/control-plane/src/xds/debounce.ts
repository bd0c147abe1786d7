/**
 * Push debouncing as istiod does it: a burst of changes becomes one push once the changes have
 * been quiet for `quietMs`, but never later than `maxDelayMs` after the first of them (so a steady
 * trickle of changes cannot starve proxies).
 */

/** Options of a {@link Debouncer}. */
export interface DebounceOptions {
  /** Quiet period before a push. */
  quietMs: number;
  /** Upper bound from the first pending change to the push. Default 10 × quietMs (at least 1 s). */
  maxDelayMs?: number;
  now?: () => number;
}

/** Coalesces triggers into calls of `fire`. */
export class Debouncer {
  private timer: NodeJS.Timeout | undefined;
  private firstAtMs = 0;
  private lastAtMs = 0;
  private readonly quietMs: number;
  private readonly maxDelayMs: number;
  private readonly now: () => number;

  constructor(
    private readonly fire: () => void,
    options: DebounceOptions,
  ) {
    this.quietMs = Math.max(0, options.quietMs);
    this.maxDelayMs = options.maxDelayMs ?? Math.max(1000, this.quietMs * 10);
    this.now = options.now ?? Date.now;
  }

  /** True while a push is scheduled. */
  get pending(): boolean {
    return this.timer !== undefined;
  }

  /** Notes a change; the push happens after the quiet period. */
  trigger(): void {
    const nowMs = this.now();
    this.lastAtMs = nowMs;
    if (this.timer) return;
    this.firstAtMs = nowMs;
    this.arm(this.quietMs);
  }

  /** Pushes now if anything is pending. */
  flush(): void {
    if (!this.timer) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.fire();
  }

  /** Drops anything pending. */
  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(delayMs: number): void {
    this.timer = setTimeout(() => this.onTimer(), delayMs);
  }

  private onTimer(): void {
    const nowMs = this.now();
    const quietFor = nowMs - this.lastAtMs;
    const waited = nowMs - this.firstAtMs;
    if (quietFor < this.quietMs && waited < this.maxDelayMs) {
      // Re-arm for what is left of the quiet period (changes kept arriving), capped by the max delay.
      this.arm(Math.min(this.quietMs - quietFor, this.maxDelayMs - waited));
      return;
    }
    this.timer = undefined;
    this.fire();
  }
}
