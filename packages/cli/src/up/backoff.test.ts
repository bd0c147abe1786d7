import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nextAttempt, restartDelayMs } from './backoff.js';

const policy = { initialMs: 500, maxMs: 4000, resetAfterMs: 60_000 };

test('restart delays double from the initial delay up to the cap', () => {
  assert.deepEqual(
    [1, 2, 3, 4, 5, 50].map((a) => restartDelayMs(policy, a)),
    [500, 1000, 2000, 4000, 4000, 4000],
  );
});

test('a run longer than resetAfterMs starts the count over', () => {
  assert.equal(nextAttempt(policy, 4, 1000), 5);
  assert.equal(nextAttempt(policy, 4, 60_000), 1);
});
