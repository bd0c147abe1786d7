import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_LB_SETTINGS } from './load-balancer.js';
import { RandomLoadBalancer } from './random.js';
import { makeHosts, seededRandom } from './test-support.js';

test('draws follow cumulative weights', () => {
  const hosts = makeHosts(3, [1, 1, 8]);
  const lb = new RandomLoadBalancer(hosts, DEFAULT_LB_SETTINGS, seededRandom(2));
  const counts = [0, 0, 0];
  for (let i = 0; i < 10000; i++) counts[lb.draw()]++;
  assert.ok(Math.abs(counts[2] / 10000 - 0.8) < 0.02, `heavy share ${counts[2] / 10000}`);
});

test('the same seed gives the same sequence', () => {
  const a = new RandomLoadBalancer(makeHosts(5), DEFAULT_LB_SETTINGS, seededRandom(4));
  const b = new RandomLoadBalancer(makeHosts(5), DEFAULT_LB_SETTINGS, seededRandom(4));
  for (let i = 0; i < 50; i++) assert.equal(a.draw(), b.draw());
});
