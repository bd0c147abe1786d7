import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { ManualClock } from './clock.js';
import { ClusterManager } from './cluster-manager.js';
import type { EnvoyJson } from './envoy-json.js';
import { waitFor } from './health/test-support.js';
import type { Host } from './types.js';
import type { UpstreamEvent } from './upstream-events.js';

const lbEndpoint = (address: string, port: number, extra: EnvoyJson = {}) => ({
  endpoint: { address: { socket_address: { address, port_value: port } } },
  ...extra,
});
const staticCluster = (name: string, ports: number[], extra: EnvoyJson = {}): EnvoyJson => ({
  name,
  type: 'STATIC',
  connect_timeout: '1s',
  load_assignment: {
    cluster_name: name,
    endpoints: [{ lb_endpoints: ports.map((p) => lbEndpoint('10.0.0.1', p)) }],
  },
  ...extra,
});
const edsCluster = (name: string, extra: EnvoyJson = {}): EnvoyJson => ({
  name,
  type: 'EDS',
  eds_cluster_config: { eds_config: { ads: {} } },
  ...extra,
});

function manager(clock = new ManualClock()) {
  const events: UpstreamEvent[] = [];
  const cm = new ClusterManager({ clock, random: Math.random, onEvent: (e) => events.push(e) });
  return { cm, events, clock };
}

function pickCounts(cm: ClusterManager, name: string, picks = 1000): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i < picks; i++) {
    const h = cm.get(name)!.chooseHost({});
    const key = h ? h.key : 'none';
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

describe('ClusterManager.applyClusters', () => {
  test('validates every cluster before applying any', () => {
    const { cm } = manager();
    cm.applyClusters([staticCluster('a', [1])]);
    assert.throws(
      () =>
        cm.applyClusters([
          staticCluster('b', [1]),
          staticCluster('c', [1]),
          staticCluster('d', [1], { lb_policy: 'CLUSTER_PROVIDED' }),
        ]),
      {
        code: 'MESH_ERR_PROXY_CONFIG',
        message: 'clusters[2].lb_policy: unsupported value "CLUSTER_PROVIDED"',
      },
    );
    assert.deepEqual(
      cm.all().map((c) => c.name),
      ['a'],
    );
    assert.throws(() => cm.applyClusters([{ ...staticCluster('x', [1]), foo: true }]), {
      message: 'clusters[0].foo: unsupported field',
    });
    assert.throws(() => cm.applyClusters([staticCluster('x', [1]), staticCluster('x', [2])]), {
      message: 'clusters[1].name: duplicate cluster name "x"',
    });
    cm.close();
  });

  test('adds, updates and removes clusters', () => {
    const { cm, events } = manager();
    cm.applyClusters([staticCluster('a', [1]), staticCluster('b', [1])]);
    cm.applyClusters([staticCluster('a', [1], { connect_timeout: '2s' })]);
    assert.equal(cm.get('a')!.connectTimeoutMs, 2000);
    assert.equal(cm.get('b'), undefined);
    assert.deepEqual(
      events.filter((e) => e.type.startsWith('cluster_')).map((e) => `${e.type} ${e.cluster}`),
      ['cluster_added a', 'cluster_added b', 'cluster_removed b', 'cluster_updated a'],
    );
    cm.close();
  });

  test('an update keeps remaining hosts and their state; removed hosts are announced', () => {
    const { cm, events } = manager();
    cm.applyClusters([staticCluster('a', [1, 2, 3])]);
    const kept = cm.get('a')!.hosts()[1];
    kept.activeRequests = 7;
    kept.pool = 'pool-for-2';
    cm.applyClusters([staticCluster('a', [2, 3, 4], { lb_policy: 'LEAST_REQUEST' })]);
    const after = cm.get('a')!.hosts();
    assert.equal(after[0], kept);
    assert.equal(after[0].activeRequests, 7);
    assert.equal(after[0].pool, 'pool-for-2');
    const removed = events.find((e) => e.type === 'host_removed');
    assert.equal(removed?.type === 'host_removed' && removed.host, '10.0.0.1:1');
    cm.close();
  });

  test('a throwing event listener does not break applying', () => {
    const cm = new ClusterManager({
      clock: new ManualClock(),
      onEvent: () => {
        throw new Error('log sink down');
      },
    });
    cm.applyClusters([staticCluster('a', [1])]);
    assert.equal(cm.get('a')!.chooseHost({})?.key, '10.0.0.1:1');
    cm.close();
  });

  test('an identical push changes nothing', () => {
    const { cm, events } = manager();
    cm.applyClusters([staticCluster('a', [1])]);
    const count = events.length;
    cm.applyClusters([staticCluster('a', [1])]);
    assert.equal(events.length, count);
    cm.close();
  });

  test('compiles limits and protocol for the engine', () => {
    const { cm } = manager();
    cm.applyClusters([
      staticCluster('a', [1], {
        circuit_breakers: { thresholds: [{ max_requests: 2 }] },
        http2_protocol_options: {},
      }),
    ]);
    const a = cm.get('a')!;
    assert.equal(a.http2, true);
    assert.equal(a.limits.tryAcquireRequest(), true);
    assert.equal(a.limits.tryAcquireRequest(), true);
    assert.equal(a.limits.tryAcquireRequest(), false);
    assert.equal(cm.stats()[0].limits.DEFAULT.requestOverflows, 1);
    cm.close();
  });
});

describe('ClusterManager.applyLoadAssignment (EDS)', () => {
  test('skips UNHEALTHY, DRAINING and TIMEOUT endpoints and reads weights, labels, locality', () => {
    const { cm } = manager();
    cm.applyClusters([edsCluster('inventory')]);
    assert.equal(cm.get('inventory')!.chooseHost({}), null);
    cm.applyLoadAssignment({
      cluster_name: 'inventory',
      endpoints: [
        {
          locality: { region: 'eu', zone: 'eu-1a' },
          lb_endpoints: [
            lbEndpoint('10.0.0.1', 80, {
              load_balancing_weight: 3,
              metadata: {
                filter_metadata: { 'envoy.lb': { version: 'v2' }, istio: { version: 'x', app: 'inv' } },
              },
            }),
            lbEndpoint('10.0.0.2', 80, { health_status: 'HEALTHY' }),
            lbEndpoint('10.0.0.3', 80, { health_status: 'UNHEALTHY' }),
            lbEndpoint('10.0.0.4', 80, { health_status: 'DRAINING' }),
            lbEndpoint('10.0.0.5', 80, { health_status: 'TIMEOUT' }),
          ],
        },
      ],
    });
    // 2 of 5 available = 40%, ×1.4 overprovisioning = 56% availability: below 100 and 40% < 50% → panic.
    assert.equal(cm.get('inventory')!.panic, true);
    const first = cm.get('inventory')!.hosts()[0];
    assert.deepEqual(first.labels, { version: 'v2', app: 'inv' });
    assert.deepEqual(first.locality, { region: 'eu', zone: 'eu-1a' });
    assert.equal(first.weight, 3);
    cm.close();
  });

  test('balances by weight over available hosts only', () => {
    const { cm } = manager();
    cm.applyClusters([edsCluster('inv', { eds_cluster_config: { service_name: 'inventory' } })]);
    cm.applyLoadAssignment({
      cluster_name: 'inventory',
      endpoints: [
        {
          lb_endpoints: [
            lbEndpoint('10.0.0.1', 80, { load_balancing_weight: 3 }),
            lbEndpoint('10.0.0.2', 80),
            lbEndpoint('10.0.0.3', 80),
            lbEndpoint('10.0.0.4', 80, { health_status: 'DRAINING' }),
          ],
        },
      ],
    });
    const counts = pickCounts(cm, 'inv', 1000);
    assert.equal(counts.get('10.0.0.4:80'), undefined);
    assert.equal(counts.get('10.0.0.1:80'), 600);
    assert.equal(counts.get('10.0.0.2:80'), 200);
    assert.deepEqual(cm.edsServiceNames(), ['inventory']);
    cm.close();
  });

  test('an assignment that arrives before its cluster is used when the cluster comes', () => {
    const { cm } = manager();
    cm.applyLoadAssignment({
      cluster_name: 'late',
      endpoints: [{ lb_endpoints: [lbEndpoint('10.0.0.9', 9)] }],
    });
    cm.applyClusters([edsCluster('late')]);
    assert.equal(cm.get('late')!.chooseHost({})?.key, '10.0.0.9:9');
    cm.close();
  });

  test('removing an assignment empties its clusters', () => {
    const { cm, events } = manager();
    cm.applyClusters([edsCluster('inv')]);
    cm.applyLoadAssignment({
      cluster_name: 'inv',
      endpoints: [{ lb_endpoints: [lbEndpoint('10.0.0.1', 80)] }],
    });
    cm.removeLoadAssignment('inv');
    assert.equal(cm.get('inv')!.chooseHost({}), null);
    assert.ok(events.some((e) => e.type === 'host_removed' && e.host === '10.0.0.1:80'));
    cm.applyClusters([edsCluster('inv', { connect_timeout: '3s' })]);
    assert.equal(cm.get('inv')!.hosts().length, 0);
    cm.close();
  });

  test('a bad assignment is rejected with the field path and changes nothing', () => {
    const { cm } = manager();
    cm.applyClusters([edsCluster('inv')]);
    cm.applyLoadAssignment({
      cluster_name: 'inv',
      endpoints: [{ lb_endpoints: [lbEndpoint('10.0.0.1', 80)] }],
    });
    assert.throws(
      () =>
        cm.applyLoadAssignment({
          cluster_name: 'inv',
          endpoints: [{ lb_endpoints: [lbEndpoint('10.0.0.2', 80, { health_status: 'SICK' })] }],
        }),
      { message: 'cla.endpoints[0].lb_endpoints[0].health_status: unsupported value "SICK"' },
    );
    assert.equal(cm.get('inv')!.hosts()[0].key, '10.0.0.1:80');
    cm.close();
  });

  test('priority 1 takes the traffic priority 0 cannot', () => {
    const { cm } = manager();
    cm.applyClusters([edsCluster('p')]);
    const assign = (p0Health: string[]) =>
      cm.applyLoadAssignment({
        cluster_name: 'p',
        endpoints: [
          {
            priority: 0,
            lb_endpoints: p0Health.map((h, i) => lbEndpoint(`10.0.0.${i + 1}`, 80, { health_status: h })),
          },
          { priority: 1, lb_endpoints: [lbEndpoint('10.0.1.1', 80)] },
        ],
      });
    assign(['HEALTHY', 'HEALTHY']);
    assert.equal(pickCounts(cm, 'p').get('10.0.1.1:80'), undefined);
    assign(['UNHEALTHY', 'UNHEALTHY']);
    assert.equal(pickCounts(cm, 'p').get('10.0.1.1:80'), 1000);
    // Half of P0 available → 70% availability: 70% stays on P0, 30% spills to P1.
    assign(['HEALTHY', 'UNHEALTHY']);
    const p1 = pickCounts(cm, 'p', 4000).get('10.0.1.1:80')!;
    assert.ok(Math.abs(p1 / 4000 - 0.3) < 0.04, `P1 share ${p1 / 4000}`);
    cm.close();
  });
});

describe('panic mode', () => {
  const assign = (cm: ClusterManager, healthy: number, total: number) =>
    cm.applyLoadAssignment({
      cluster_name: 'c',
      endpoints: [
        {
          lb_endpoints: Array.from({ length: total }, (_, i) =>
            lbEndpoint(`10.0.0.${i + 1}`, 80, { health_status: i < healthy ? 'HEALTHY' : 'UNHEALTHY' }),
          ),
        },
      ],
    });

  test('below the healthy panic threshold traffic goes to every host', () => {
    const { cm, events } = manager();
    cm.applyClusters([edsCluster('c')]);
    assign(cm, 1, 4);
    assert.equal(cm.get('c')!.panic, true);
    assert.equal(pickCounts(cm, 'c').size, 4);
    assert.ok(cm.stats()[0].lbHealthyPanic >= 1000);
    assign(cm, 3, 4);
    assert.equal(cm.get('c')!.panic, false);
    assert.equal(pickCounts(cm, 'c').size, 3);
    assert.deepEqual(
      events.filter((e) => e.type === 'panic_changed').map((e) => e.type === 'panic_changed' && e.panic),
      [true, false],
    );
    cm.close();
  });

  test('a threshold of 0 disables panic: no host at all when none is healthy', () => {
    const { cm } = manager();
    cm.applyClusters([edsCluster('c', { common_lb_config: { healthy_panic_threshold: { value: 0 } } })]);
    assign(cm, 1, 4);
    assert.deepEqual([...pickCounts(cm, 'c').keys()], ['10.0.0.1:80']);
    assign(cm, 0, 4);
    assert.equal(cm.get('c')!.chooseHost({}), null);
    assert.equal(cm.stats()[0].noHealthyHost, 1);
    cm.close();
  });
});

describe('outlier detection through the cluster', () => {
  test('an ejected host gets no traffic until the interval tick after its ejection time', () => {
    const { cm, events, clock } = manager();
    cm.applyClusters([
      staticCluster('c', [1, 2], {
        outlier_detection: {
          consecutive_5xx: 5,
          interval: '30s',
          base_ejection_time: '30s',
          max_ejection_percent: 50,
        },
      }),
    ]);
    const cluster = cm.get('c')!;
    const bad = cluster.hosts()[0];
    for (let i = 0; i < 5; i++) cluster.reportOutcome(bad, { kind: 'response', status: 503 }, 1);
    assert.equal(bad.ejected, true);
    assert.deepEqual([...pickCounts(cm, 'c', 100).keys()], ['10.0.0.1:2']);
    const ejected = events.find((e) => e.type === 'ejected');
    assert.equal(ejected?.type === 'ejected' && ejected.reason, 'consecutive_5xx');
    clock.advance(30_000);
    assert.equal(bad.ejected, false);
    assert.equal(pickCounts(cm, 'c', 100).size, 2);
    const stats = cm.stats()[0];
    assert.equal(stats.ejectionsTotal, 1);
    assert.equal(stats.ejectionsActive, 0);
    assert.equal(stats.responses['5xx'], 5);
    assert.deepEqual(bad.counters, { rqTotal: 5, rqSuccess: 0, rqError: 5, rqTimeout: 0, cxConnectFail: 0 });
    cm.close();
    assert.equal(clock.pending(), 0);
  });

  test('ejection state survives a config push', () => {
    const { cm } = manager();
    const od = { outlier_detection: { max_ejection_percent: 50 } };
    cm.applyClusters([staticCluster('c', [1, 2], od)]);
    const bad = cm.get('c')!.hosts()[0];
    for (let i = 0; i < 5; i++) cm.get('c')!.reportOutcome(bad, { kind: 'connect-failure' }, 1);
    cm.applyClusters([staticCluster('c', [1, 2, 3], { ...od, connect_timeout: '3s' })]);
    assert.equal(cm.get('c')!.hosts()[0], bad);
    assert.equal(bad.ejected, true);
    assert.equal(cm.stats()[0].ejectionsActive, 1);
    cm.close();
  });

  test('retries avoid the hosts already attempted', () => {
    const { cm } = manager();
    cm.applyClusters([staticCluster('c', [1, 2, 3])]);
    const cluster = cm.get('c')!;
    const [a, b] = cluster.hosts();
    const attemptedHosts: Host[] = [a, b];
    for (let i = 0; i < 20; i++) assert.equal(cluster.chooseHost({ attemptedHosts })?.key, '10.0.0.1:3');
    cm.close();
  });
});

describe('DNS clusters', () => {
  test('STRICT_DNS makes a host per address; a failed refresh keeps the last good answer', async () => {
    const clock = new ManualClock();
    let answer: string[] | Error = ['10.1.0.1', '10.1.0.2'];
    const events: UpstreamEvent[] = [];
    const cm = new ClusterManager({
      clock,
      onEvent: (e) => events.push(e),
      resolveDns: async () => {
        if (answer instanceof Error) throw answer;
        return answer;
      },
    });
    const cluster = {
      name: 'dns',
      type: 'STRICT_DNS',
      dns_refresh_rate: '10s',
      load_assignment: {
        cluster_name: 'dns',
        endpoints: [{ lb_endpoints: [lbEndpoint('inventory.internal', 8080)] }],
      },
    };
    cm.applyClusters([cluster]);
    await cm.whenResolved();
    assert.deepEqual(
      cm
        .get('dns')!
        .hosts()
        .map((h) => h.key),
      ['10.1.0.1:8080', '10.1.0.2:8080'],
    );
    const first = cm.get('dns')!.hosts()[1];
    answer = ['10.1.0.2', '10.1.0.3'];
    clock.advance(10_000);
    await waitFor(() => cm.get('dns')!.hosts()[1]?.key === '10.1.0.3:8080');
    assert.equal(cm.get('dns')!.hosts()[0], first);
    clock.advance(10_000);
    await new Promise((r) => setImmediate(r));
    assert.equal(
      events.filter((e) => e.type === 'dns_resolved').length,
      2,
      'an unchanged answer is not reported',
    );
    answer = new Error('SERVFAIL');
    clock.advance(10_000);
    await new Promise((r) => setImmediate(r));
    assert.equal(cm.get('dns')!.hosts().length, 2);
    cm.close();
  });

  test('LOGICAL_DNS keeps one host named after the DNS name, resolved by the system resolver', async () => {
    const cm = new ClusterManager();
    cm.applyClusters([
      {
        name: 'logical',
        type: 'LOGICAL_DNS',
        dns_lookup_family: 'V4_ONLY',
        load_assignment: {
          cluster_name: 'logical',
          endpoints: [{ lb_endpoints: [lbEndpoint('localhost', 9000)] }],
        },
      },
    ]);
    await cm.whenResolved();
    const [host] = cm.get('logical')!.hosts();
    assert.deepEqual([host.key, host.address, host.hostname], ['localhost:9000', '127.0.0.1', 'localhost']);
    cm.close();
  });

  test('a new LOGICAL_DNS answer moves the address, not the host', async () => {
    const clock = new ManualClock();
    let answer = ['10.2.0.1', '10.2.0.2'];
    const cm = new ClusterManager({ clock, resolveDns: async () => answer });
    cm.applyClusters([
      {
        name: 'api',
        type: 'LOGICAL_DNS',
        load_assignment: {
          cluster_name: 'api',
          endpoints: [{ lb_endpoints: [lbEndpoint('api.example.com', 443)] }],
        },
      },
    ]);
    await cm.whenResolved();
    const host = cm.get('api')!.hosts()[0];
    assert.equal(host.address, '10.2.0.1');
    host.pool = 'kept';
    answer = ['10.2.0.9'];
    clock.advance(5000);
    await waitFor(() => host.address === '10.2.0.9');
    assert.equal(cm.get('api')!.hosts()[0], host);
    assert.equal(host.pool, 'kept');
    cm.close();
  });
});

describe('active health checking through the cluster', () => {
  test('a passing active check brings an ejected host back before its ejection time', async (t) => {
    const server = createServer((_req, res) => res.end());
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    t.after(() => server.close());
    const port = (server.address() as AddressInfo).port;
    const events: UpstreamEvent[] = [];
    const cm = new ClusterManager({ onEvent: (e) => events.push(e) });
    t.after(() => cm.close());
    cm.applyClusters([
      {
        ...staticCluster('hc', []),
        load_assignment: {
          cluster_name: 'hc',
          endpoints: [{ lb_endpoints: [lbEndpoint('127.0.0.1', port)] }],
        },
        outlier_detection: { base_ejection_time: '300s', max_ejection_percent: 100 },
        health_checks: [
          {
            timeout: '0.2s',
            interval: '0.05s',
            unhealthy_threshold: 2,
            healthy_threshold: 2,
            tcp_health_check: {},
          },
        ],
      },
    ]);
    await cm.whenWarm();
    const cluster = cm.get('hc')!;
    const host = cluster.hosts()[0];
    for (let i = 0; i < 5; i++) cluster.reportOutcome(host, { kind: 'response', status: 502 }, 1);
    assert.equal(host.ejected, true);
    await waitFor(() => !host.ejected);
    assert.ok(events.some((e) => e.type === 'unejected'));
  });

  test('new EDS hosts take traffic only after their first passing check', async (t) => {
    let status = 200;
    const server = createServer((_req, res) => {
      res.statusCode = status;
      res.end();
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    t.after(() => server.close());
    const port = (server.address() as AddressInfo).port;
    const events: UpstreamEvent[] = [];
    const cm = new ClusterManager({ onEvent: (e) => events.push(e) });
    t.after(() => cm.close());
    cm.applyClusters([
      edsCluster('hc', {
        common_lb_config: { healthy_panic_threshold: { value: 0 } },
        health_checks: [
          {
            timeout: '0.2s',
            interval: '0.02s',
            unhealthy_threshold: 2,
            healthy_threshold: 2,
            http_health_check: { path: '/ready' },
          },
        ],
      }),
    ]);
    cm.applyLoadAssignment({
      cluster_name: 'hc',
      endpoints: [{ lb_endpoints: [lbEndpoint('127.0.0.1', port)] }],
    });
    const cluster = cm.get('hc')!;
    assert.equal(cluster.chooseHost({}), null);
    await cm.whenWarm();
    assert.notEqual(cluster.chooseHost({}), null);
    status = 503;
    await waitFor(() => cluster.chooseHost({}) === null);
    assert.deepEqual(
      events.filter((e) => e.type === 'health_changed').map((e) => e.type === 'health_changed' && e.healthy),
      [true, false],
    );
    const stats = cm.stats()[0];
    assert.ok(stats.healthCheckSuccesses >= 1 && stats.healthCheckFailures >= 1);
  });
});
