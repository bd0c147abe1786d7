import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FastRandom } from './fast-random.js';
import { fmix32, HashPoint } from './hash-point.js';

const rnd = new FastRandom(() => 0.5);

test('a bigint hash splits into its 32-bit halves', () => {
  const p = new HashPoint().load(0x0123456789abcdefn, rnd);
  assert.equal(p.hi, 0x01234567);
  assert.equal(p.lo, 0x89abcdef);
});

test('mod is exact for 64-bit points', () => {
  const h = 0xfedcba9876543210n;
  const p = new HashPoint().load(h, rnd);
  for (const m of [65537, 5000011, 251]) assert.equal(p.mod(m), Number(h % BigInt(m)));
});

test('small number hashes land far apart', () => {
  const a = new HashPoint().load(1, rnd);
  const hiA = a.hi;
  const b = new HashPoint().load(2, rnd);
  assert.notEqual(hiA, b.hi);
  assert.equal(fmix32(0), 0);
  assert.notEqual(fmix32(1), 1);
});

test('FastRandom draws stay within bounds and spread evenly', () => {
  const r = new FastRandom(() => 0.25);
  const buckets = new Array(10).fill(0);
  for (let i = 0; i < 10000; i++) {
    const v = r.nextInt(10);
    assert.ok(v >= 0 && v < 10 && Number.isInteger(v));
    buckets[v]++;
  }
  for (const b of buckets) assert.ok(Math.abs(b - 1000) < 150, `bucket ${b}`);
});

test('no hash draws a random point from the balancer generator', () => {
  const a = new HashPoint().load(undefined, new FastRandom(() => 0.1));
  const b = new HashPoint().load(undefined, new FastRandom(() => 0.9));
  assert.notDeepEqual([a.hi, a.lo], [b.hi, b.lo]);
});
