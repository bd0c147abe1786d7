import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Backoff } from './backoff.js';

test('the delay ceiling doubles up to the cap, and jitter scales within it', () => {
  const top = new Backoff({ initialMs: 100, maxMs: 1000, random: () => 0.999999 });
  assert.deepEqual(
    Array.from({ length: 6 }, () => top.nextDelayMs()),
    [99, 199, 399, 799, 999, 999],
  );
  const half = new Backoff({ initialMs: 100, maxMs: 1000, random: () => 0.5 });
  assert.deepEqual([half.nextDelayMs(), half.nextDelayMs()], [50, 100]);
});

test('reset starts the sequence over', () => {
  const backoff = new Backoff({ initialMs: 100, maxMs: 1000, random: () => 0.999999 });
  backoff.nextDelayMs();
  backoff.nextDelayMs();
  backoff.reset();
  assert.equal(backoff.nextDelayMs(), 99);
});
