import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_LB_SETTINGS } from './load-balancer.js';
import { buildSchedule, RoundRobinLoadBalancer } from './round-robin.js';
import { makeHosts } from './test-support.js';

test('equal weights visit hosts in order, cycling', () => {
  const hosts = makeHosts(3);
  const lb = new RoundRobinLoadBalancer(hosts, DEFAULT_LB_SETTINGS, () => 0);
  const seen = Array.from({ length: 6 }, () => lb.chooseHost({}));
  assert.deepEqual(seen, [hosts[0], hosts[1], hosts[2], hosts[0], hosts[1], hosts[2]]);
});

test('weights 3:1 give exactly three picks of four, interleaved', () => {
  const schedule = Array.from(buildSchedule(makeHosts(2, [3, 1])));
  assert.equal(schedule.length, 4);
  assert.equal(schedule.filter((i) => i === 0).length, 3);
  // EDF spreads the light host instead of bursting the heavy one.
  assert.deepEqual(buildSchedule(makeHosts(2, [2, 2])).length, 2);
  const mixed = Array.from(buildSchedule(makeHosts(3, [4, 2, 2])));
  assert.deepEqual(mixed, [0, 1, 2, 0]);
});

test('huge weight sums are scaled to a bounded schedule', () => {
  const schedule = buildSchedule(makeHosts(2, [1_000_000, 999_999]));
  assert.ok(schedule.length <= 65537);
  const first = Array.from(schedule).filter((i) => i === 0).length;
  assert.ok(Math.abs(first / schedule.length - 0.5) < 0.01);
});
