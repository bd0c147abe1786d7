import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { UpstreamHost } from './host.js';
import { DEFAULT_LB_SETTINGS } from './load-balancers/load-balancer.js';
import { LOAD_BALANCERS } from './load-balancers/registry.js';
import { makeHosts, seededRandom } from './load-balancers/test-support.js';
import { PrioritySet } from './priority-set.js';
import type { EdsHealthStatus } from './types.js';

function plan(hosts: UpstreamHost[], panicThreshold = 50, localityWeighted = false) {
  return new PrioritySet(hosts, {
    policy: 'RANDOM',
    factory: LOAD_BALANCERS.get('RANDOM')!,
    settings: DEFAULT_LB_SETTINGS,
    random: seededRandom(9),
    panicThresholdPercent: panicThreshold,
    overprovisioningPercent: 140,
    localityWeighted,
  });
}

function hostsWith(statuses: EdsHealthStatus[], priority = 0, offset = 0): UpstreamHost[] {
  return makeHosts(statuses.length + offset)
    .slice(offset)
    .map((h, i) => {
      h.edsHealth = statuses[i];
      h.priority = priority;
      return h;
    });
}

function shares(set: PrioritySet, hosts: UpstreamHost[], picks = 20000): number[] {
  const counts = hosts.map(() => 0);
  for (let i = 0; i < picks; i++) counts[hosts.indexOf(set.chooseHost({}) as UpstreamHost)]++;
  return counts.map((c) => c / picks);
}

describe('PrioritySet', () => {
  test('degraded hosts take no traffic while healthy ones suffice', () => {
    const hosts = hostsWith(['HEALTHY', 'HEALTHY', 'HEALTHY', 'DEGRADED']);
    const s = shares(plan(hosts), hosts);
    assert.equal(s[3], 0);
  });

  test('degraded hosts take what healthy ones cannot carry', () => {
    // 1 healthy of 4 → 35% healthy availability; 1 degraded → 35%; total 70% → normalised 50/50.
    const hosts = hostsWith(['HEALTHY', 'DEGRADED', 'UNHEALTHY', 'UNHEALTHY']);
    const s = shares(plan(hosts, 0), hosts);
    assert.ok(Math.abs(s[0] - 0.5) < 0.02 && Math.abs(s[1] - 0.5) < 0.02, `shares ${s}`);
  });

  test('levels spill by overprovisioned availability', () => {
    const p0 = hostsWith(['HEALTHY', 'HEALTHY', 'HEALTHY', 'UNHEALTHY'], 0);
    const p1 = hostsWith(['HEALTHY'], 1, 4);
    const all = [...p0, ...p1];
    // 3/4 × 1.4 = 105% → level 0 carries everything.
    assert.equal(shares(plan(all), all)[4], 0);
    p0[1].edsHealth = 'UNHEALTHY';
    // 2/4 × 1.4 = 70% on level 0, 30% on level 1.
    const s = shares(plan(all), all);
    assert.ok(Math.abs(s[4] - 0.3) < 0.02, `level 1 share ${s[4]}`);
  });

  test('a level below the panic threshold balances over all its hosts when availability is short', () => {
    const hosts = hostsWith(['HEALTHY', 'UNHEALTHY', 'UNHEALTHY', 'UNHEALTHY']);
    const set = plan(hosts);
    assert.equal(set.panic, true);
    assert.ok(shares(set, hosts).every((s) => s > 0.2));
  });

  test('no available host: panic over everything, or nothing with a zero threshold', () => {
    const hosts = hostsWith(['UNHEALTHY', 'DRAINING']);
    assert.notEqual(plan(hosts).chooseHost({}), null);
    assert.equal(plan(hosts, 0).chooseHost({}), null);
    assert.equal(plan([], 50).chooseHost({}), null);
  });

  test('locality weighting splits by locality weight × availability, then within the locality', () => {
    const hosts = hostsWith(['HEALTHY', 'HEALTHY', 'HEALTHY', 'UNHEALTHY', 'HEALTHY']);
    const at = (i: number, zone: string, weight: number) => {
      hosts[i].locality = { region: 'eu', zone };
      hosts[i].localityWeight = weight;
    };
    at(0, 'a', 1);
    at(1, 'a', 1);
    at(2, 'b', 1);
    at(3, 'b', 1);
    at(4, 'c', 0); // no locality weight: no traffic under locality weighting
    const s = shares(plan(hosts, 50, true), hosts);
    // Zone a: weight 1 × availability 1; zone b: 1 × min(1, 1.4 × 1/2) = 0.7 → a 1/1.7, b 0.7/1.7.
    assert.ok(Math.abs(s[0] + s[1] - 1 / 1.7) < 0.02, `zone a ${s[0] + s[1]}`);
    assert.ok(Math.abs(s[2] - 0.7 / 1.7) < 0.02, `zone b ${s[2]}`);
    assert.equal(s[3], 0);
    assert.equal(s[4], 0);
    // Without locality weighting every healthy host shares equally.
    assert.ok(shares(plan(hosts), hosts)[4] > 0.2);
  });

  test('a retry reaches the other level when its first draw offers only attempted hosts', () => {
    const p0 = hostsWith(['HEALTHY', 'UNHEALTHY'], 0);
    const p1 = hostsWith(['HEALTHY'], 1, 2);
    const set = plan([...p0, ...p1]);
    let other = 0;
    for (let i = 0; i < 200; i++) if (set.chooseHost({ attemptedHosts: [p0[0]] }) === p1[0]) other++;
    // Without redraws only the 30% of picks that land on level 1 would avoid the attempted host.
    assert.equal(other, 200);
  });

  test('a retry reaches another locality under locality weighting', () => {
    const hosts = hostsWith(['HEALTHY', 'HEALTHY']);
    hosts.forEach((h, i) => {
      h.locality = { zone: `z${i}` };
      h.localityWeight = i === 0 ? 9 : 1;
    });
    const set = plan(hosts, 50, true);
    for (let i = 0; i < 100; i++) assert.equal(set.chooseHost({ attemptedHosts: [hosts[0]] }), hosts[1]);
  });

  test('counts available hosts', () => {
    assert.equal(plan(hostsWith(['HEALTHY', 'DEGRADED', 'TIMEOUT'])).availableCount, 2);
  });
});
