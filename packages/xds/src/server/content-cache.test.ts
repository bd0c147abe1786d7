import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ContentCache } from './content-cache.js';

test('the least recently used entry goes first when the entry bound is reached', () => {
  const cache = new ContentCache<number>(2, 1_000);
  cache.set('a', 1);
  cache.set('b', 2);
  assert.equal(cache.get('a'), 1); // a is now the most recent
  cache.set('c', 3);
  assert.equal(cache.get('b'), undefined);
  assert.deepEqual([cache.get('a'), cache.get('c'), cache.size], [1, 3, 2]);
});

test('the total key length is bounded too, and an oversized key is not kept', () => {
  const cache = new ContentCache<number>(100, 10);
  cache.set('aaaa', 1);
  cache.set('bbbb', 2);
  cache.set('cccc', 3); // 12 chars > 10: the oldest goes
  assert.equal(cache.get('aaaa'), undefined);
  assert.equal(cache.size, 2);
  cache.set('x'.repeat(11), 4);
  assert.equal(cache.get('x'.repeat(11)), undefined);
});
