import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ManualClock } from './clock.js';
import { UpstreamCluster } from './cluster.js';
import { compileCluster } from './cluster-config.js';
import type { HostSpec } from './host.js';
import type { UpstreamEvent } from './upstream-events.js';

const spec = (address: string, extra: Partial<HostSpec> = {}): HostSpec => ({
  address,
  port: 80,
  weight: 1,
  labels: {},
  edsHealth: 'HEALTHY',
  priority: 0,
  ...extra,
});

function cluster(extra: Record<string, unknown> = {}) {
  const events: UpstreamEvent[] = [];
  const settings = compileCluster('c', {
    name: 'shop',
    type: 'EDS',
    eds_cluster_config: { eds_config: { ads: {} } },
    ...extra,
  });
  const c = new UpstreamCluster(settings, {
    clock: new ManualClock(),
    random: Math.random,
    emit: (e) => events.push(e),
  });
  return { c, events };
}

describe('UpstreamCluster', () => {
  test('stats count membership by state', () => {
    const { c } = cluster({ outlier_detection: { max_ejection_percent: 100 } });
    c.setHosts([
      spec('10.0.0.1'),
      spec('10.0.0.2', { edsHealth: 'DEGRADED' }),
      spec('10.0.0.3', { edsHealth: 'DRAINING' }),
    ]);
    const s = c.stats();
    assert.equal(s.membershipTotal, 3);
    assert.equal(s.membershipHealthy, 1);
    assert.equal(s.membershipDegraded, 1);
    assert.equal(s.membershipExcluded, 1);
    assert.equal(s.membershipChanges, 1);
    assert.equal(s.statName, 'shop');
    c.close();
  });

  test('HIGH priority has its own circuit breakers', () => {
    const { c } = cluster({
      circuit_breakers: { thresholds: [{ priority: 'HIGH', max_retries: 1 }, { max_retries: 0 }] },
    });
    assert.equal(c.limitsFor('DEFAULT').tryAcquireRetry(), false);
    assert.equal(c.limitsFor('HIGH').tryAcquireRetry(), true);
    assert.equal(c.limitsFor('HIGH').tryAcquireRetry(), false);
    assert.equal(c.stats().limits.HIGH.retryOverflows, 1);
    assert.equal(c.stats().limits.DEFAULT.retryOverflows, 1);
  });

  test('outcomes of a removed host do not feed outlier detection', () => {
    const { c } = cluster({ outlier_detection: { max_ejection_percent: 100 } });
    c.setHosts([spec('10.0.0.1'), spec('10.0.0.2')]);
    const gone = c.hosts()[0];
    c.setHosts([spec('10.0.0.2')]);
    for (let i = 0; i < 10; i++) c.reportOutcome(gone, { kind: 'response', status: 500 }, 1);
    assert.equal(gone.ejected, false);
    assert.equal(c.stats().ejectionsDetected.consecutive_5xx, 0);
    assert.equal(c.stats().responses['5xx'], 10);
    c.close();
  });

  test('closing announces every host as removed, once', () => {
    const { c, events } = cluster();
    c.setHosts([spec('10.0.0.1'), spec('10.0.0.2')]);
    c.close();
    c.close();
    assert.deepEqual(
      events.filter((e) => e.type === 'host_removed').map((e) => e.type === 'host_removed' && e.host),
      ['10.0.0.1:80', '10.0.0.2:80'],
    );
  });

  test('duplicate addresses in one update become one host', () => {
    const { c } = cluster();
    c.setHosts([spec('10.0.0.1'), spec('10.0.0.1', { weight: 7 })]);
    assert.equal(c.hosts().length, 1);
    assert.equal(c.hosts()[0].weight, 1);
    c.close();
  });

  test('weights and EDS health updates apply in place', () => {
    const { c } = cluster();
    c.setHosts([spec('10.0.0.1'), spec('10.0.0.2')]);
    const first = c.hosts()[0];
    c.setHosts([spec('10.0.0.1', { weight: 5, edsHealth: 'UNHEALTHY' }), spec('10.0.0.2')]);
    assert.equal(c.hosts()[0], first);
    assert.equal(first.weight, 5);
    assert.equal(first.available, false);
    for (let i = 0; i < 20; i++) assert.equal(c.chooseHost({})?.key, '10.0.0.2:80');
    c.close();
  });
});
