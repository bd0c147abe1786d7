import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock, systemClock } from './clock.js';

test('ManualClock fires due timers in order, including ones they schedule', () => {
  const clock = new ManualClock();
  const fired: string[] = [];
  clock.setTimeout(() => fired.push(`b@${clock.now()}`), 200);
  clock.setTimeout(() => {
    fired.push(`a@${clock.now()}`);
    clock.setTimeout(() => fired.push(`c@${clock.now()}`), 50);
  }, 100);
  clock.advance(150);
  assert.deepEqual(fired, ['a@100', 'c@150']);
  clock.advance(100);
  assert.deepEqual(fired, ['a@100', 'c@150', 'b@200']);
  assert.equal(clock.now(), 250);
});

test('ManualClock clearTimeout cancels', () => {
  const clock = new ManualClock();
  let fired = false;
  const handle = clock.setTimeout(() => {
    fired = true;
  }, 10);
  clock.clearTimeout(handle);
  clock.advance(100);
  assert.equal(fired, false);
  assert.equal(clock.pending(), 0);
});

test('systemClock timers fire and can be cleared', async (t) => {
  // systemClock timers are unref'd (they never hold a process open), so the test holds it.
  const keepAlive = setTimeout(() => {}, 1000);
  t.after(() => clearTimeout(keepAlive));
  const start = systemClock.now();
  await new Promise<void>((resolve) => systemClock.setTimeout(resolve, 5));
  assert.ok(systemClock.now() - start >= 4);
  let fired = false;
  systemClock.clearTimeout(
    systemClock.setTimeout(() => {
      fired = true;
    }, 1),
  );
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(fired, false);
});
