import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ManualClock, systemClock, unrefTimer } from './clock.js';

describe('ManualClock', () => {
  test('advance fires due timers in due order, ties in scheduling order', () => {
    const clock = new ManualClock(1000);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push(`b@${clock.now()}`), 20);
    clock.setTimeout(() => fired.push(`a@${clock.now()}`), 10);
    clock.setTimeout(() => fired.push(`c@${clock.now()}`), 20);
    clock.advance(15);
    assert.deepEqual(fired, ['a@1010']);
    assert.equal(clock.now(), 1015);
    clock.advance(5);
    assert.deepEqual(fired, ['a@1010', 'b@1020', 'c@1020']);
  });

  test('timers scheduled by a firing timer fire within the same advance when due', () => {
    const clock = new ManualClock();
    const fired: number[] = [];
    clock.setTimeout(() => {
      fired.push(clock.now());
      clock.setTimeout(() => fired.push(clock.now()), 5);
    }, 5);
    clock.advance(10);
    assert.deepEqual(fired, [5, 10]);
  });

  test('clearTimeout cancels; unknown handles are ignored', () => {
    const clock = new ManualClock();
    let fired = false;
    const handle = clock.setTimeout(() => {
      fired = true;
    }, 1);
    clock.clearTimeout(handle);
    clock.clearTimeout(12345);
    clock.advance(10);
    assert.equal(fired, false);
    assert.equal(clock.pendingTimers, 0);
  });

  test('advanceAsync lets promise continuations run between timers', async () => {
    const clock = new ManualClock();
    const seen: number[] = [];
    const wait = (ms: number) => new Promise<void>((resolve) => clock.setTimeout(resolve, ms));
    const chain = (async () => {
      await wait(10);
      seen.push(clock.now());
      await wait(10);
      seen.push(clock.now());
    })();
    await clock.advanceAsync(20);
    await chain;
    assert.deepEqual(seen, [10, 20]);
  });

  test('rejects moving backwards', () => {
    assert.throws(() => new ManualClock().advance(-1), RangeError);
  });
});

describe('systemClock', () => {
  test('is monotonic and its timers fire', async () => {
    const a = systemClock.now();
    await new Promise<void>((resolve) => systemClock.setTimeout(resolve, 1));
    assert.ok(systemClock.now() >= a);
  });

  test('unrefTimer unrefs host timers and ignores handles without unref', () => {
    const handle = systemClock.setTimeout(() => {}, 60_000) as ReturnType<typeof setTimeout>;
    unrefTimer(handle);
    assert.equal(handle.hasRef(), false);
    systemClock.clearTimeout(handle);
    unrefTimer(42);
    unrefTimer(undefined);
  });
});
