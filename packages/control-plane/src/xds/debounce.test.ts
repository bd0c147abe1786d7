import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Debouncer } from './debounce.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a burst of triggers becomes one push after the quiet period', async () => {
  let fired = 0;
  const d = new Debouncer(() => fired++, { quietMs: 30 });
  d.trigger();
  await sleep(10);
  d.trigger();
  await sleep(10);
  d.trigger();
  assert.equal(fired, 0);
  await sleep(60);
  assert.equal(fired, 1);
  assert.equal(d.pending, false);
});

test('a steady trickle is pushed no later than the max delay', async () => {
  let fired = 0;
  const d = new Debouncer(() => fired++, { quietMs: 20, maxDelayMs: 50 });
  const started = Date.now();
  d.trigger();
  while (fired === 0 && Date.now() - started < 500) {
    await sleep(5);
    d.trigger();
  }
  assert.equal(fired, 1);
  assert.ok(Date.now() - started < 200, 'the trickle did not starve the push');
  d.cancel();
});

test('flush pushes at once and cancel drops the pending push', async () => {
  let fired = 0;
  const d = new Debouncer(() => fired++, { quietMs: 1000 });
  d.trigger();
  d.flush();
  assert.equal(fired, 1);
  d.trigger();
  d.cancel();
  await sleep(5);
  assert.equal(fired, 1);
  d.flush();
  assert.equal(fired, 1, 'nothing pending, nothing pushed');
});
