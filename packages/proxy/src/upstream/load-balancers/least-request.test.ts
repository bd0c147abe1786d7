import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LeastRequestLoadBalancer } from './least-request.js';
import { DEFAULT_LB_SETTINGS } from './load-balancer.js';
import { makeHosts, seededRandom } from './test-support.js';

test('power of two choices: a busy host wins only when drawn twice', () => {
  const hosts = makeHosts(2);
  hosts[0].activeRequests = 10;
  const lb = new LeastRequestLoadBalancer(hosts, DEFAULT_LB_SETTINGS, seededRandom(11));
  let busy = 0;
  for (let i = 0; i < 4000; i++) if (lb.chooseHost({}) === hosts[0]) busy++;
  // Both draws land on the busy host with probability 1/4.
  assert.ok(Math.abs(busy / 4000 - 0.25) < 0.03, `busy share ${busy / 4000}`);
});

test('choice_count widens the comparison', () => {
  const hosts = makeHosts(10);
  hosts.forEach((h, i) => {
    h.activeRequests = i === 7 ? 0 : 50;
  });
  const lb = new LeastRequestLoadBalancer(
    hosts,
    { ...DEFAULT_LB_SETTINGS, choiceCount: 10 },
    seededRandom(3),
  );
  let idlePicks = 0;
  for (let i = 0; i < 1000; i++) if (lb.chooseHost({}) === hosts[7]) idlePicks++;
  // P(host 7 among 10 draws) = 1 − 0.9^10 ≈ 0.65; with choice_count 2 it would be ≈ 0.19.
  assert.ok(idlePicks > 550 && idlePicks < 750, `idle host picked ${idlePicks} times`);
});

test('load is weighed against weight: a heavy host takes more concurrent requests', () => {
  const hosts = makeHosts(2, [1, 4]);
  hosts[0].activeRequests = 2;
  hosts[1].activeRequests = 4;
  const lb = new LeastRequestLoadBalancer(hosts, DEFAULT_LB_SETTINGS, seededRandom(5));
  let heavy = 0;
  for (let i = 0; i < 4000; i++) if (lb.chooseHost({}) === hosts[1]) heavy++;
  // 4 in flight at weight 4 (1 per unit) beats 2 at weight 1, so the heavy host wins whenever it
  // is drawn at all: 1 − 0.2² = 96% of picks.
  assert.ok(Math.abs(heavy / 4000 - 0.96) < 0.02, `heavy share ${heavy / 4000}`);
});
