import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Host } from '../types.js';
import { DEFAULT_LB_SETTINGS, LB_POLICIES } from './load-balancer.js';
import { LOAD_BALANCERS } from './registry.js';
import { makeHosts, seededRandom } from './test-support.js';

// One conformance suite, run against every registered balancer.
for (const policy of LB_POLICIES) {
  const factory = LOAD_BALANCERS.get(policy)!;
  const build = (hosts: Host[], seed = 1) => factory(hosts, DEFAULT_LB_SETTINGS, seededRandom(seed));

  describe(`${policy} load balancer`, () => {
    test('returns null when it has no hosts', () => {
      assert.equal(build([]).chooseHost({}), null);
    });

    test('always returns the only host', () => {
      const [only] = makeHosts(1);
      const lb = build([only]);
      for (let i = 0; i < 10; i++) assert.equal(lb.chooseHost({ hash: BigInt(i) * 7919n }), only);
    });

    test('spreads equal-weight picks over every host', () => {
      const hosts = makeHosts(4);
      const lb = build(hosts);
      const counts = new Map<Host, number>();
      for (let i = 0; i < 8000; i++) {
        const h = lb.chooseHost({})!;
        counts.set(h, (counts.get(h) ?? 0) + 1);
      }
      for (const h of hosts)
        assert.ok(Math.abs((counts.get(h) ?? 0) - 2000) < 400, `${h.key}: ${counts.get(h)}`);
    });

    test('honours endpoint weights within tolerance', () => {
      const hosts = makeHosts(3, [1, 2, 5]);
      const lb = build(hosts, 7);
      const counts = [0, 0, 0];
      const picks = 16000;
      // Random hashes so the hash-based balancers are measured over the key space.
      for (let i = 0; i < picks; i++) counts[hosts.indexOf(lb.chooseHost({})! as never)]++;
      const expected = [1 / 8, 2 / 8, 5 / 8];
      for (let i = 0; i < 3; i++) {
        const share = counts[i] / picks;
        assert.ok(
          Math.abs(share - expected[i]) < 0.05,
          `host ${i}: share ${share.toFixed(3)} vs ${expected[i]}`,
        );
      }
    });

    test('a retry prefers a host not yet attempted', () => {
      const hosts = makeHosts(5);
      const lb = build(hosts);
      for (let i = 0; i < 200; i++) {
        const attemptedHosts = hosts.slice(0, 4);
        assert.equal(lb.chooseHost({ hash: BigInt(i) * 0x9e3779b97f4a7c15n, attemptedHosts }), hosts[4]);
      }
    });

    test('a retry reuses a host when every host was attempted', () => {
      const hosts = makeHosts(3);
      assert.ok(hosts.includes(build(hosts).chooseHost({ attemptedHosts: hosts }) as never));
    });
  });
}
