import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Clock } from './clock.js';
import { ManualClock } from './clock.js';
import { type TimerEntry, TimerWheel, timerWheelFor } from './timer-wheel.js';

function entry(log: string[], name: string): TimerEntry {
  return {
    deadline: 0,
    wheelPrev: null,
    wheelNext: null,
    wheelBucket: null,
    onDeadline: () => log.push(name),
  };
}

describe('TimerWheel', () => {
  test('fires entries at their deadline and never a cancelled one', () => {
    const clock = new ManualClock();
    const wheel = new TimerWheel(clock);
    const log: string[] = [];
    const a = entry(log, 'a');
    const b = entry(log, 'b');
    const c = entry(log, 'c');
    wheel.schedule(a, 100);
    wheel.schedule(b, 100);
    wheel.schedule(c, 200);
    wheel.cancel(b);
    wheel.cancel(b); // idempotent
    clock.advance(99);
    assert.deepEqual(log, []);
    clock.advance(1);
    assert.deepEqual(log, ['a']);
    clock.advance(100);
    assert.deepEqual(log, ['a', 'c']);
    assert.equal(wheel.armedSlots, 0);
  });

  test('one host timer per occupied slot, however many entries share it', () => {
    const clock = new ManualClock();
    const wheel = new TimerWheel(clock, 10);
    const log: string[] = [];
    for (let i = 0; i < 100; i++) wheel.schedule(entry(log, `e${i}`), 95 + (i % 5));
    assert.equal(clock.pendingTimers, 1);
    clock.advance(100);
    assert.equal(log.length, 100);
  });

  test('an entry whose slot fires early goes back on the wheel', () => {
    // A clock whose timers fire up to 1 ms before they are due, as host timers occasionally do.
    const manual = new ManualClock();
    const early: Clock = {
      now: () => manual.now(),
      setTimeout: (fn, ms) => manual.setTimeout(fn, Math.max(1, ms - 1)),
      clearTimeout: (h) => manual.clearTimeout(h),
    };
    const wheel = new TimerWheel(early);
    const log: string[] = [];
    wheel.schedule(entry(log, 'late-enough'), 50);
    manual.advance(49);
    assert.deepEqual(log, []);
    manual.advance(1);
    assert.deepEqual(log, ['late-enough']);
  });

  test('cancelling the middle of a slot keeps the rest linked', () => {
    const clock = new ManualClock();
    const wheel = new TimerWheel(clock);
    const log: string[] = [];
    const entries = ['a', 'b', 'c', 'd'].map((n) => entry(log, n));
    for (const e of entries) wheel.schedule(e, 10);
    wheel.cancel(entries[1]);
    wheel.cancel(entries[3]);
    clock.advance(10);
    assert.deepEqual(log.sort(), ['a', 'c']);
  });

  test('timerWheelFor shares one wheel per clock', () => {
    const clock = new ManualClock();
    assert.equal(timerWheelFor(clock), timerWheelFor(clock));
    assert.notEqual(timerWheelFor(clock), timerWheelFor(new ManualClock()));
  });
});
