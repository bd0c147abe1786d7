/**
 * Time as the upstream layer sees it. Outlier detection, health checking and DNS refresh run on
 * timers; injecting the clock lets tests drive them by hand instead of sleeping.
 */

/** Opaque handle returned by {@link Clock.setTimeout}. */
export type TimerHandle = unknown;

/** A monotonic millisecond clock with timers. */
export interface Clock {
  /** Monotonic milliseconds (only differences are meaningful). */
  now(): number;
  setTimeout(callback: () => void, delayMs: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** Uniform random number in [0, 1), injectable for deterministic tests. */
export type RandomSource = () => number;

/** The process clock: `performance.now()` and unref'd Node timers (they never hold the process open). */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout(callback, delayMs) {
    const timer = setTimeout(callback, delayMs);
    timer.unref();
    return timer;
  },
  clearTimeout(handle) {
    clearTimeout(handle as NodeJS.Timeout);
  },
};

interface ManualTimer {
  readonly id: number;
  readonly dueMs: number;
  readonly callback: () => void;
}

/**
 * A clock that only moves when told to; timers fire in due order inside {@link ManualClock.advance}.
 *
 * @example
 * const clock = new ManualClock();
 * clock.setTimeout(() => console.log('tick'), 1000);
 * clock.advance(1000); // prints "tick"
 */
export class ManualClock implements Clock {
  private nowMs = 0;
  private nextId = 1;
  private timers: ManualTimer[] = [];

  now(): number {
    return this.nowMs;
  }

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    const timer = { id: this.nextId++, dueMs: this.nowMs + Math.max(0, delayMs), callback };
    this.timers.push(timer);
    return timer.id;
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers = this.timers.filter((t) => t.id !== handle);
  }

  /** When the earliest pending timer falls due, or undefined when none is pending. */
  nextDueMs(): number | undefined {
    let due: number | undefined;
    for (const t of this.timers) if (due === undefined || t.dueMs < due) due = t.dueMs;
    return due;
  }

  /** Number of timers still pending. */
  pending(): number {
    return this.timers.length;
  }

  /** Moves time forward by `ms`, firing every timer that falls due, including ones they schedule. */
  advance(ms: number): void {
    const targetMs = this.nowMs + ms;
    for (;;) {
      let next: ManualTimer | undefined;
      for (const t of this.timers) if (t.dueMs <= targetMs && (!next || t.dueMs < next.dueMs)) next = t;
      if (!next) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.nowMs = next.dueMs;
      next.callback();
    }
    this.nowMs = targetMs;
  }
}
