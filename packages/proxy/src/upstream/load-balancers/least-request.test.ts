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

test('unequal weights: an idle cluster splits by weight', () => {
  const hosts = makeHosts(2, [1, 3]);
  const lb = new LeastRequestLoadBalancer(hosts, DEFAULT_LB_SETTINGS, seededRandom(5));
  let heavy = 0;
  for (let i = 0; i < 4000; i++) if (lb.chooseHost({}) === hosts[1]) heavy++;
  assert.equal(heavy, 3000);
});

test('unequal weights: requests in flight push a host back (weight / (active + 1))', () => {
  const hosts = makeHosts(2, [1, 4]);
  hosts[0].activeRequests = 0;
  hosts[1].activeRequests = 7; // effective weights 1 and 4/8 = 0.5
  const lb = new LeastRequestLoadBalancer(hosts, DEFAULT_LB_SETTINGS, seededRandom(5));
  let heavy = 0;
  for (let i = 0; i < 3000; i++) if (lb.chooseHost({}) === hosts[1]) heavy++;
  assert.ok(Math.abs(heavy / 3000 - 1 / 3) < 0.02, `heavy share ${heavy / 3000}`);
});

test('active_request_bias 0 ignores load (weighted round robin)', () => {
  const hosts = makeHosts(2, [1, 4]);
  hosts[1].activeRequests = 100;
  const lb = new LeastRequestLoadBalancer(
    hosts,
    { ...DEFAULT_LB_SETTINGS, activeRequestBias: 0 },
    seededRandom(5),
  );
  let heavy = 0;
  for (let i = 0; i < 1000; i++) if (lb.chooseHost({}) === hosts[1]) heavy++;
  assert.equal(heavy, 800);
});

test('a retry on unequal weights avoids the attempted host', () => {
  const hosts = makeHosts(3, [1, 2, 3]);
  const lb = new LeastRequestLoadBalancer(hosts, DEFAULT_LB_SETTINGS, seededRandom(5));
  for (let i = 0; i < 100; i++) assert.notEqual(lb.chooseHost({ attemptedHosts: [hosts[2]] }), hosts[2]);
});
