import { type Clock, type TimerHandle, unrefTimer } from './clock.js';

/**
 * Something with a deadline on a {@link TimerWheel}. The link fields belong to the wheel;
 * `onDeadline` runs once if the entry is still scheduled when its deadline passes.
 */
export interface TimerEntry {
  deadline: number;
  wheelPrev: TimerEntry | null;
  wheelNext: TimerEntry | null;
  wheelBucket: TimerBucket | null;
  onDeadline(): void;
}

/** A group of entries due in the same resolution slot; one host timer serves the whole group. */
export class TimerBucket {
  readonly slot: number;
  head: TimerEntry | null = null;
  timer: TimerHandle = undefined;
  constructor(slot: number) {
    this.slot = slot;
  }
}

/**
 * Deadlines bucketed by `resolutionMs`: scheduling and cancelling are O(1) list operations and
 * one host timer is armed per occupied slot, instead of one timer per call. A completed call
 * only unlinks itself; its slot's timer, if still armed, later fires on an empty list.
 *
 * @example
 * const wheel = timerWheelFor(systemClock);
 * wheel.schedule(entry, systemClock.now() + 250);
 * wheel.cancel(entry); // when the work finished first
 */
export class TimerWheel {
  readonly #clock: Clock;
  readonly #resolutionMs: number;
  readonly #buckets = new Map<number, TimerBucket>();

  constructor(clock: Clock, resolutionMs = 1) {
    this.#clock = clock;
    this.#resolutionMs = resolutionMs;
  }

  /** Number of slots with an armed timer (for tests and diagnostics). */
  get armedSlots(): number {
    return this.#buckets.size;
  }

  /** Schedules `entry` to have `onDeadline()` called at or after `deadline`. */
  schedule(entry: TimerEntry, deadline: number): void {
    entry.deadline = deadline;
    const slot = Math.ceil(deadline / this.#resolutionMs);
    let bucket = this.#buckets.get(slot);
    if (bucket === undefined) bucket = this.#arm(slot);
    const head = bucket.head;
    entry.wheelPrev = null;
    entry.wheelNext = head;
    if (head !== null) head.wheelPrev = entry;
    bucket.head = entry;
    entry.wheelBucket = bucket;
  }

  /** Removes `entry` if it is still scheduled. */
  cancel(entry: TimerEntry): void {
    const bucket = entry.wheelBucket;
    if (bucket === null) return;
    const prev = entry.wheelPrev;
    const next = entry.wheelNext;
    if (prev === null) bucket.head = next;
    else prev.wheelNext = next;
    if (next !== null) next.wheelPrev = prev;
    entry.wheelPrev = entry.wheelNext = null;
    entry.wheelBucket = null;
  }

  #arm(slot: number): TimerBucket {
    const bucket = new TimerBucket(slot);
    this.#buckets.set(slot, bucket);
    const delayMs = Math.max(0, slot * this.#resolutionMs - this.#clock.now());
    bucket.timer = this.#clock.setTimeout(() => this.#fire(bucket), delayMs);
    // A slot's timer outlives the calls that completed in it; it must not hold the process open.
    // A pending call is kept alive by the work it awaits, not by its deadline.
    unrefTimer(bucket.timer);
    return bucket;
  }

  #fire(bucket: TimerBucket): void {
    this.#buckets.delete(bucket.slot);
    const now = this.#clock.now();
    let entry = bucket.head;
    bucket.head = null;
    while (entry !== null) {
      const next = entry.wheelNext;
      entry.wheelPrev = entry.wheelNext = null;
      entry.wheelBucket = null;
      // Host timers may fire a little early; such entries go back on the wheel.
      if (entry.deadline > now) this.schedule(entry, entry.deadline);
      else entry.onDeadline();
      entry = next;
    }
  }
}

const wheels = new WeakMap<Clock, TimerWheel>();

/** The wheel shared by every policy that uses `clock`. */
export function timerWheelFor(clock: Clock): TimerWheel {
  let wheel = wheels.get(clock);
  if (wheel === undefined) wheels.set(clock, (wheel = new TimerWheel(clock)));
  return wheel;
}
