import assert from 'node:assert/strict';
import { test } from 'node:test';
import { xxHash64 } from './xxhash64.js';

test('xxHash64 matches the reference vectors', () => {
  assert.equal(xxHash64(''), 0xef46db3751d8e999n);
  assert.equal(xxHash64('a'), 0xd24ec4f1a98c6e5bn);
  assert.equal(xxHash64('abc'), 0x44bc2cf5ad770999n);
  assert.equal(xxHash64('Nobody inspects the spammish repetition'), 0xfbcea83c8a378bf1n);
});

test('xxHash64 covers the 32-byte stripe path and the seed', () => {
  const long = 'The quick brown fox jumps over the lazy dog';
  assert.equal(xxHash64(long), 0x0b242d361fda71bcn);
  assert.notEqual(xxHash64(long, 1), xxHash64(long, 0));
});
