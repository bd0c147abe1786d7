import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Host } from '../types.js';
import { DEFAULT_LB_SETTINGS } from './load-balancer.js';
import { RingHashLoadBalancer } from './ring-hash.js';
import { makeHosts, seededRandom } from './test-support.js';
import { xxHash64 } from './xxhash64.js';

const keys = Array.from({ length: 20000 }, (_, i) => xxHash64(`user-${i}`));

function assignments(lb: RingHashLoadBalancer): Host[] {
  return keys.map((hash) => lb.chooseHost({ hash })!);
}

test('the same hash always maps to the same host', () => {
  const lb = new RingHashLoadBalancer(makeHosts(5), DEFAULT_LB_SETTINGS, Math.random);
  for (const hash of keys.slice(0, 100)) assert.equal(lb.chooseHost({ hash }), lb.chooseHost({ hash }));
});

test('the ring has at least minimum_ring_size entries and at most maximum_ring_size', () => {
  assert.equal(new RingHashLoadBalancer(makeHosts(3), DEFAULT_LB_SETTINGS, Math.random).size >= 1024, true);
  const capped = new RingHashLoadBalancer(
    makeHosts(3),
    { ...DEFAULT_LB_SETTINGS, minRingSize: 64, maxRingSize: 64 },
    Math.random,
  );
  assert.ok(capped.size <= 64, `size ${capped.size}`);
});

test('removing one host of ten remaps only about a tenth of the keys', () => {
  const hosts = makeHosts(10);
  const before = assignments(new RingHashLoadBalancer(hosts, DEFAULT_LB_SETTINGS, Math.random));
  const removed = hosts[3];
  const after = assignments(
    new RingHashLoadBalancer(
      hosts.filter((h) => h !== removed),
      DEFAULT_LB_SETTINGS,
      Math.random,
    ),
  );
  let moved = 0;
  let fromRemoved = 0;
  for (let i = 0; i < keys.length; i++) {
    if (before[i] !== after[i]) moved++;
    if (before[i] === removed) fromRemoved++;
  }
  const share = moved / keys.length;
  assert.ok(share > 0.06 && share < 0.14, `moved ${share}`);
  // Survivors keep their ring entries, so the keys that moved are exactly the removed host's.
  assert.equal(moved, fromRemoved);
});

test('number hashes are spread over the whole ring', () => {
  const hosts = makeHosts(4);
  const lb = new RingHashLoadBalancer(hosts, DEFAULT_LB_SETTINGS, seededRandom(1));
  const seen = new Set<Host>();
  for (let i = 0; i < 200; i++) seen.add(lb.chooseHost({ hash: i })!);
  assert.equal(seen.size, 4);
});
