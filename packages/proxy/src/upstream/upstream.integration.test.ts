import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { ManualClock } from './clock.js';
import { ClusterManager } from './cluster-manager.js';
import type { Host } from './types.js';
import type { UpstreamEvent } from './upstream-events.js';

/**
 * The seed's DestinationRule for inventory-service, as the control plane translates it:
 * connectionPool (maxConnections 100, http1MaxPendingRequests 50, http2MaxRequests 100) and
 * outlierDetection (consecutive5xxErrors 5, interval 30s, baseEjectionTime 30s, maxEjectionPercent 50).
 */
function inventoryCluster(): Record<string, unknown> {
  return {
    name: 'outbound|8080||inventory-service',
    type: 'EDS',
    eds_cluster_config: {
      eds_config: { ads: {}, resource_api_version: 'V3' },
      service_name: 'inventory-service',
    },
    connect_timeout: '10s',
    lb_policy: 'ROUND_ROBIN',
    circuit_breakers: {
      thresholds: [
        { priority: 'DEFAULT', max_connections: 100, max_pending_requests: 50, max_requests: 100 },
      ],
    },
    outlier_detection: {
      enforcing_success_rate: 0,
      consecutive_5xx: 5,
      enforcing_consecutive_5xx: 100,
      interval: '30s',
      base_ejection_time: '30s',
      max_ejection_percent: 50,
    },
  };
}

async function startPod(status: () => number): Promise<Server> {
  const server = createServer((_req, res) => {
    res.statusCode = status();
    res.end('ok');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

function send(host: Host): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: host.address, port: host.port, path: '/stock', agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

test('seed DestinationRule: a pod answering 503 is ejected after 5 errors for 30 s, never more than half the pods', async (t) => {
  const broken = new Set<number>();
  const pods = await Promise.all([0, 1, 2, 3].map((i) => startPod(() => (broken.has(i) ? 503 : 200))));
  t.after(() => {
    for (const p of pods) p.close();
  });
  const clock = new ManualClock();
  const events: UpstreamEvent[] = [];
  const cm = new ClusterManager({ clock, onEvent: (e) => events.push(e) });
  t.after(() => cm.close());
  cm.applyClusters([inventoryCluster()]);
  cm.applyLoadAssignment({
    cluster_name: 'inventory-service',
    endpoints: [
      {
        lb_endpoints: pods.map((p) => ({
          endpoint: {
            address: {
              socket_address: { address: '127.0.0.1', port_value: (p.address() as AddressInfo).port },
            },
          },
        })),
      },
    ],
  });
  const cluster = cm.get('outbound|8080||inventory-service')!;
  assert.equal(cluster.limits.maxPendingRequests, 50);
  assert.equal(cluster.limits.maxRequests, 100);
  assert.equal(cluster.limits.maxConnections, 100);

  // The engine's loop: pick, count in flight, send, report.
  const serve = async (requests: number) => {
    const seen = new Map<string, number>();
    for (let i = 0; i < requests; i++) {
      const host = cluster.chooseHost({})!;
      host.activeRequests++;
      const status = await send(host);
      host.activeRequests--;
      cluster.reportOutcome(host, { kind: 'response', status }, 1);
      seen.set(host.key, (seen.get(host.key) ?? 0) + 1);
    }
    return seen;
  };

  broken.add(0);
  await serve(20); // round robin: pod 0 sees its 5th consecutive 503 on request 17
  const pod0 = cluster.hosts()[0];
  assert.equal(pod0.ejected, true);
  assert.equal((await serve(30)).get(pod0.key), undefined);

  // Three pods fail, but at most two of four may be ejected.
  broken.add(1);
  broken.add(2);
  await serve(60);
  assert.equal(cluster.hosts().filter((h) => h.ejected).length, 2);
  assert.ok(cm.stats()[0].ejectionsOverflow >= 1);

  // The first interval tick after 30 s of ejection brings pods back.
  broken.clear();
  clock.advance(30_000);
  assert.equal(pod0.ejected, false);
  assert.equal((await serve(40)).size, 4);
  assert.ok(events.some((e) => e.type === 'unejected' && e.host === pod0.key));
});
