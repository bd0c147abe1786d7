import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_LB_SETTINGS } from './load-balancer.js';
import { LocalityWeightedLoadBalancer, localityKey } from './locality-weighted.js';
import { RoundRobinLoadBalancer } from './round-robin.js';
import { makeHosts, seededRandom } from './test-support.js';

function zoned(weights: number[]) {
  return makeHosts(weights.length).map((h, i) => {
    h.locality = { region: 'eu', zone: `z${i}` };
    h.localityWeight = weights[i];
    return h;
  });
}

test('localities share traffic by weight', () => {
  const hosts = zoned([1, 3]);
  const lb = new LocalityWeightedLoadBalancer(
    hosts,
    hosts,
    140,
    (set) => new RoundRobinLoadBalancer(set, DEFAULT_LB_SETTINGS, Math.random),
    seededRandom(8),
  );
  let second = 0;
  for (let i = 0; i < 8000; i++) if (lb.chooseHost({}) === hosts[1]) second++;
  assert.ok(Math.abs(second / 8000 - 0.75) < 0.02, `share ${second / 8000}`);
});

test('a locality without weight gets nothing; none at all gives null', () => {
  const hosts = zoned([0, 2]);
  const build = (set: typeof hosts) => new RoundRobinLoadBalancer(set, DEFAULT_LB_SETTINGS, Math.random);
  const lb = new LocalityWeightedLoadBalancer(hosts, hosts, 140, build, seededRandom(1));
  for (let i = 0; i < 50; i++) assert.equal(lb.chooseHost({}), hosts[1]);
  const none = new LocalityWeightedLoadBalancer(zoned([0]), zoned([0]), 140, build, seededRandom(1));
  assert.equal(none.chooseHost({}), null);
});

test('locality keys join region, zone and sub-zone', () => {
  const [h] = makeHosts(1);
  assert.equal(localityKey(h), '//');
  h.locality = { region: 'us', zone: 'us-1a', sub_zone: 'r1' };
  assert.equal(localityKey(h), 'us/us-1a/r1');
});
