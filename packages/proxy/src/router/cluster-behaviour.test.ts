import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import {
  buildBootstrap,
  send,
  sleep,
  startProxy,
  startUpstream,
  staticCluster,
} from '../test-support/harness.js';

describe('cluster behaviour seen through the router', () => {
  const cleanups: Array<() => Promise<void>> = [];
  after(async () => {
    for (const c of cleanups) await c();
  });

  test('a 5xx burst ejects the failing host, traffic moves to the healthy one, and the host returns after the ejection time', async () => {
    let failing = true;
    const bad = await startUpstream((_q, res) => {
      res.writeHead(failing ? 503 : 200);
      res.end('bad');
    });
    const good = await startUpstream((_q, res) => res.end('good'));
    const px = await startProxy(
      buildBootstrap({
        routes: [{ match: { prefix: '/' }, route: { cluster: 'pair' } }],
        clusters: [
          staticCluster('pair', [bad.port, good.port], {
            lb_policy: 'ROUND_ROBIN',
            outlier_detection: {
              consecutive_5xx: 3,
              interval: '0.05s',
              base_ejection_time: '0.15s',
              max_ejection_percent: 50,
            },
          }),
        ],
      }),
    );
    cleanups.push(px.close, bad.close, good.close);
    for (let i = 0; i < 8; i++) await send(px.port);
    assert.equal(bad.seen.length, 3);
    const clusters = JSON.parse((await send(px.proxy.adminPort, { path: '/clusters?format=json' })).body);
    const badStatus = clusters.cluster_statuses[0].host_statuses.find(
      (h: any) => h.address.socket_address.port_value === bad.port,
    );
    assert.equal(badStatus.health_status.failed_outlier_check, true);
    const metrics = (await send(px.proxy.adminPort, { path: '/stats/prometheus' })).body;
    assert.match(metrics, /envoy_cluster_outlier_detection_ejections_active\{envoy_cluster_name="pair"\} 1/);
    failing = false;
    await sleep(300);
    for (let i = 0; i < 6; i++) await send(px.port);
    assert.ok(bad.seen.length > 3, 'the ejected host gets traffic again after base_ejection_time');
  });

  test('max_requests exceeded answers 503 with flag UO', async () => {
    const slow = await startUpstream((_q, res) => setTimeout(() => res.end('slow'), 150));
    const px = await startProxy(
      buildBootstrap({
        routes: [{ match: { prefix: '/' }, route: { cluster: 'tight' } }],
        clusters: [
          staticCluster('tight', [slow.port], {
            circuit_breakers: { thresholds: [{ max_requests: 1, max_pending_requests: 1 }] },
          }),
        ],
      }),
    );
    cleanups.push(px.close, slow.close);
    const [a, b] = await Promise.all([send(px.port), send(px.port)]);
    assert.deepEqual([a.status, b.status].sort(), [200, 503]);
    assert.ok(px.log.entries.some((e) => e.response_flags === 'UO'));
  });

  test('ring hash with a header hash_policy keeps a user on one host', async () => {
    const ups = await Promise.all([startUpstream(), startUpstream(), startUpstream()]);
    const px = await startProxy(
      buildBootstrap({
        routes: [
          {
            match: { prefix: '/' },
            route: { cluster: 'ring', hash_policy: [{ header: { header_name: 'x-user' } }] },
          },
        ],
        clusters: [
          staticCluster(
            'ring',
            ups.map((u) => u.port),
            { lb_policy: 'RING_HASH' },
          ),
        ],
      }),
    );
    cleanups.push(px.close, ...ups.map((u) => u.close));
    for (const user of ['alice', 'bob', 'carol']) {
      const bodies = new Set<string>();
      for (let i = 0; i < 5; i++) bodies.add((await send(px.port, { headers: { 'x-user': user } })).body);
      assert.equal(bodies.size, 1, `${user} stuck to one host`);
    }
  });
});
