import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EdfScheduler } from './edf-scheduler.js';

test('static weights give a weighted, interleaved order', () => {
  const weights = [1, 2, 4];
  const edf = new EdfScheduler(3, (i) => weights[i]);
  const picks = Array.from({ length: 14 }, () => edf.pickAndAdd(weights[edf.peek()]));
  const counts = [0, 1, 2].map((i) => picks.filter((p) => p === i).length);
  assert.deepEqual(counts, [2, 4, 8]);
  assert.notDeepEqual(picks.slice(0, 4), [2, 2, 2, 2]);
});

test('equal deadlines go first in, first out', () => {
  const edf = new EdfScheduler(3, () => 1);
  assert.deepEqual(
    Array.from({ length: 6 }, () => edf.pickAndAdd(1)),
    [0, 1, 2, 0, 1, 2],
  );
});

test('a lighter weight at pick time pushes the entry back', () => {
  const edf = new EdfScheduler(2, () => 1);
  // Entry 0 comes back at a tenth of its weight (due at 11): entry 1 runs at 1, 2, … 10 first.
  edf.pickAndAdd(0.1);
  const next = Array.from({ length: 11 }, () => edf.pickAndAdd(1));
  assert.deepEqual(next, [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0]);
});
