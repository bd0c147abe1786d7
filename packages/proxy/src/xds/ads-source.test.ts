/**
 * The proxy configured over ADS by a real {@link AdsServer} over loopback gRPC, serving real
 * upstreams: pushes reach the data path, route changes keep in-flight requests and open
 * connections, bad updates are NACKed while the last good config serves, new EDS clusters warm,
 * and the proxy rides out the control plane's absence.
 */
import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { after, describe, test } from 'node:test';
import { AdsServer, type NackEvent, type SnapshotInput } from '@meshwork/xds';
import { startUpstream, type Upstream } from '../test-support/harness.js';
import { AdsSource } from './ads-source.js';
import { ConfigStore } from './config-store.js';
import { proxyNode } from './node-identity.js';
import { startXdsProxy, type XdsProxy } from './xds-proxy.js';

const HCM =
  'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const ROUTER = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';
const NODE = proxyNode({ nodeId: 'edge-1', service: 'edge', mode: 'gateway' });

const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

function listener(name: string, routeName: string, port = 0) {
  return {
    name,
    address: { socket_address: { address: '127.0.0.1', port_value: port } },
    filter_chains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.http_connection_manager',
            typed_config: {
              '@type': HCM,
              stat_prefix: name,
              rds: { route_config_name: routeName, config_source: { ads: {} } },
              http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': ROUTER } }],
            },
          },
        ],
      },
    ],
  };
}

function routes(name: string, cluster: string) {
  return {
    name,
    virtual_hosts: [
      { name: 'all', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster } }] },
    ],
  };
}

function edsCluster(name: string, extra: Record<string, unknown> = {}) {
  return {
    name,
    type: 'EDS',
    connect_timeout: '1s',
    eds_cluster_config: { eds_config: { ads: {} } },
    ...extra,
  };
}

function cla(name: string, port: number) {
  return {
    cluster_name: name,
    endpoints: [
      {
        lb_endpoints: [
          { endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: port } } } },
        ],
      },
    ],
  };
}

/** A snapshot: one listener → route `main` → `cluster`, and the given clusters with endpoints. */
function snapshot(version: string, cluster: string, upstreams: Record<string, Upstream>): SnapshotInput {
  const names = Object.keys(upstreams);
  return {
    lds: { version, resources: [listener('http', 'main')] },
    rds: { version, resources: [routes('main', cluster)] },
    cds: { version, resources: names.map((n) => edsCluster(n)) },
    eds: { version, resources: names.map((n) => cla(n, upstreams[n].port)) },
  };
}

/**
 * An ADS server; on a given port (a restart), binding is retried: a reconnecting client's
 * ephemeral source port can hold the number for a moment.
 */
async function startServer(port = 0): Promise<{ server: AdsServer; address: string }> {
  for (let attempt = 1; ; attempt++) {
    const server = new AdsServer();
    try {
      const bound = await server.listen(`127.0.0.1:${port}`);
      cleanups.push(() => server.close());
      return { server, address: `127.0.0.1:${bound}` };
    } catch (err) {
      await server.close();
      if (attempt === 20) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

async function upstream(label: string, delayMs = 0): Promise<Upstream> {
  const u = await startUpstream((_req, res) => {
    setTimeout(() => res.end(label), delayMs);
  });
  cleanups.push(() => u.close());
  return u;
}

/**
 * Warming waits far longer than any test, so an ordering deadlock (a gate waiting on something
 * queued behind it) fails {@link ready} instead of hiding behind the timeout.
 */
async function startProxy(address: string, warmTimeoutMs = 30_000, delta = false): Promise<XdsProxy> {
  const p = await startXdsProxy({
    address,
    node: NODE,
    mode: 'gateway',
    adminPort: 0,
    warmTimeoutMs,
    delta,
    backoff: { initialMs: 20, maxMs: 100 },
  });
  cleanups.push(() => p.close());
  return p;
}

function get(port: number, agent?: Agent): Promise<{ status: number; body: string; reused: boolean }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', agent: agent ?? false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, reused: req.reusedSocket }));
    });
    req.on('error', reject);
    req.end();
  });
}

function ready(p: XdsProxy): Promise<void> {
  return Promise.race([
    p.source.whenReady(),
    new Promise<void>((_, reject) =>
      setTimeout(() => reject(new Error('not ready: warming stalled')), 4000).unref(),
    ),
  ]);
}

async function until(what: string, probe: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const started = Date.now();
  while (!(await probe())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function nackOf(server: AdsServer): Promise<NackEvent> {
  return new Promise((resolve) => server.once('nack', resolve));
}

describe('AdsSource', () => {
  test('pushed listener, route, cluster and endpoints serve traffic; /ready waits for them', async () => {
    const { server, address } = await startServer();
    const a = await upstream('a');
    const p = await startProxy(address);
    const admin = `http://127.0.0.1:${p.proxy.adminPort}`;
    assert.equal((await fetch(`${admin}/ready`)).status, 503, 'not ready before any configuration');
    server.setSnapshot(NODE.id, snapshot('1', 'a', { a }));
    await ready(p);
    assert.equal((await fetch(`${admin}/ready`)).status, 200);
    assert.deepEqual(await get(p.proxy.listenerPort('http')), { status: 200, body: 'a', reused: false });
    // Envoy's shape for resources from xDS: dynamic sections, each with its version.
    const dump = (await (await fetch(`${admin}/config_dump`)).json()) as { configs: Record<string, any>[] };
    const [clusters, listeners, routes] = [dump.configs[1], dump.configs[2], dump.configs[3]];
    assert.equal(clusters.version_info, '1');
    assert.deepEqual(clusters.static_clusters, []);
    assert.equal(clusters.dynamic_active_clusters[0].cluster.name, 'a');
    assert.equal(clusters.dynamic_active_clusters[0].version_info, '1');
    assert.equal(listeners.dynamic_listeners[0].name, 'http');
    assert.equal(listeners.dynamic_listeners[0].active_state.version_info, '1');
    assert.equal(routes.dynamic_route_configs[0].route_config.name, 'main');
    assert.equal(routes.dynamic_route_configs[0].version_info, '1');
  });

  test('a route change keeps the in-flight slow request and the keep-alive connection', async () => {
    const { server, address } = await startServer();
    const slow = await upstream('slow', 300);
    const b = await upstream('b');
    const p = await startProxy(address);
    server.setSnapshot(NODE.id, snapshot('1', 'slow', { slow, b }));
    await ready(p);
    const port = p.proxy.listenerPort('http');
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    cleanups.push(() => agent.destroy());
    assert.equal((await get(port, agent)).body, 'slow');
    const inFlight = get(port, agent);
    await new Promise((r) => setTimeout(r, 50)); // the request has reached the slow upstream
    server.setSnapshot(NODE.id, snapshot('2', 'b', { slow, b }));
    await until('route v2 applied', () => p.proxy.store.versions.routes?.versionInfo === '2');
    assert.deepEqual(await inFlight, { status: 200, body: 'slow', reused: true });
    assert.deepEqual(await get(port, agent), { status: 200, body: 'b', reused: true });
  });

  test('a bad update is NACKed with the config error; the last good config keeps serving', async () => {
    const { server, address } = await startServer();
    const a = await upstream('a');
    const p = await startProxy(address);
    server.setSnapshot(NODE.id, snapshot('1', 'a', { a }));
    await ready(p);
    const nacked = nackOf(server);
    const bad = snapshot('2', 'a', { a });
    bad.cds = { version: '2', resources: [edsCluster('a', { lb_policy: 'CLUSTER_PROVIDED' })] };
    server.setSnapshot(NODE.id, bad);
    const nack = await nacked;
    assert.equal(nack.version, '2');
    assert.match(nack.errorMessage, /^Cluster "a"\.lb_policy: /);
    assert.equal(p.proxy.store.versions.clusters?.versionInfo, '1');
    assert.equal((await get(p.proxy.listenerPort('http'))).body, 'a');
    // A listener the proxy cannot honour is rejected too, naming the listener.
    const nackedListener = nackOf(server);
    const badListener = snapshot('3', 'a', { a });
    badListener.lds = { version: '3', resources: [{ ...listener('http', 'main'), filter_chains: [] }] };
    server.setSnapshot(NODE.id, badListener);
    assert.match((await nackedListener).errorMessage, /^Listener "http"\.filter_chains: /);
    assert.equal((await get(p.proxy.listenerPort('http'))).body, 'a');
  });

  test('a new EDS cluster warms: routes to it wait for its endpoints', async () => {
    const { server, address } = await startServer();
    const a = await upstream('a');
    const c = await upstream('c');
    const p = await startProxy(address);
    server.setSnapshot(NODE.id, snapshot('1', 'a', { a }));
    await ready(p);
    // Cluster c and a route to it, but c's endpoints are not there yet.
    const next = snapshot('2', 'c', { a, c });
    next.eds = { version: '2', resources: [cla('a', a.port)] };
    server.setSnapshot(NODE.id, next);
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(p.proxy.store.getCluster('c'), undefined, 'cluster c is warming');
    assert.equal(p.proxy.store.versions.routes?.versionInfo, '1', 'the route to c waits behind it');
    assert.equal((await get(p.proxy.listenerPort('http'))).body, 'a');
    // c's endpoints arrive: the cluster set, then the deferred route (version 2) go in force.
    server.setSnapshot(NODE.id, snapshot('3', 'c', { a, c }));
    await until('route to c applied', () => p.proxy.store.versions.routes?.versionInfo === '2');
    assert.ok(p.proxy.store.getCluster('c'));
    assert.equal((await get(p.proxy.listenerPort('http'))).body, 'c');
  });

  test('a new listener warms until its route configuration arrives', async () => {
    const { server, address } = await startServer();
    const a = await upstream('a');
    const p = await startProxy(address);
    server.setSnapshot(NODE.id, snapshot('1', 'a', { a }));
    await ready(p);
    const next = snapshot('2', 'a', { a });
    next.lds = { version: '2', resources: [listener('http', 'main'), listener('admin-api', 'second')] };
    server.setSnapshot(NODE.id, next); // RDS "second" is not in the snapshot yet
    await until('LDS 2 acknowledged', () => p.source.client.version('lds') === '2');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(p.proxy.store.listenerPort('admin-api'), undefined, 'not bound without its routes');
    assert.equal((await get(p.proxy.listenerPort('http'))).body, 'a', 'the rest keeps serving');
    server.setSnapshot(NODE.id, {
      ...next,
      rds: { version: '3', resources: [routes('main', 'a'), routes('second', 'a')] },
    });
    await until('second listener bound', () => p.proxy.store.listenerPort('admin-api') !== undefined);
    assert.equal(
      (await get(p.proxy.store.listenerPort('admin-api')!)).body,
      'a',
      'and routed from the start',
    );
  });

  test('a cluster whose endpoints never come is applied after the warming timeout', async () => {
    const { server, address } = await startServer();
    const a = await upstream('a');
    const p = await startProxy(address, 100);
    const first = snapshot('1', 'a', { a });
    first.eds = { version: '1', resources: [] };
    server.setSnapshot(NODE.id, first);
    await ready(p);
    assert.ok(p.proxy.store.getCluster('a'), 'applied without endpoints');
    const r = await get(p.proxy.listenerPort('http'));
    assert.equal(r.status, 503, 'no healthy upstream until EDS says otherwise');
  });

  test('without the control plane the proxy keeps serving, reconnects and resyncs', async () => {
    const first = await startServer();
    const a = await upstream('a');
    const b = await upstream('b');
    const p = await startProxy(first.address);
    first.server.setSnapshot(NODE.id, snapshot('1', 'a', { a, b }));
    await ready(p);
    await first.server.close();
    await until('disconnect noticed', () => !p.source.client.connected);
    assert.equal((await get(p.proxy.listenerPort('http'))).body, 'a', 'static stability');
    const port = Number(first.address.split(':')[1]);
    const second = await startServer(port);
    second.server.setSnapshot(NODE.id, snapshot('2', 'b', { a, b }));
    await until('resynced', () => p.proxy.store.versions.routes?.versionInfo === '2');
    assert.equal((await get(p.proxy.listenerPort('http'))).body, 'b');
  });

  test('over delta xDS: serves, follows a route change and an endpoint set that goes away', async () => {
    const { server, address } = await startServer();
    const a = await upstream('a');
    const b = await upstream('b');
    const p = await startProxy(address, undefined, true);
    server.setSnapshot(NODE.id, snapshot('1', 'a', { a, b }));
    await ready(p);
    const port = p.proxy.listenerPort('http');
    assert.equal((await get(port)).body, 'a');
    server.setSnapshot(NODE.id, snapshot('2', 'b', { a, b }));
    await until('route to b', async () => (await get(port)).body === 'b');
    const gone = snapshot('3', 'b', { a, b });
    gone.eds = { version: '3', resources: [cla('a', a.port)] };
    server.setSnapshot(NODE.id, gone);
    await until('b loses its endpoints', async () => (await get(port)).status === 503);
    assert.equal(p.proxy.store.getCluster('b')?.hosts().length, 0);
  });

  test('static bootstrap resources stay beside dynamic ones', async () => {
    const { server, address } = await startServer();
    const a = await upstream('a');
    const s = await upstream('static');
    const store = new ConfigStore();
    cleanups.push(() => store.close());
    const staticCluster = {
      name: 'fixed',
      type: 'STATIC',
      connect_timeout: '1s',
      load_assignment: cla('fixed', s.port),
    };
    const staticListener = listener('admin-ish', 'fixed-routes');
    const source = new AdsSource(store, {
      address,
      node: NODE,
      staticClusters: [staticCluster],
      staticListeners: [staticListener],
    }).start();
    cleanups.push(() => source.close());
    const dynamic = snapshot('1', 'a', { a });
    dynamic.rds = { version: '1', resources: [routes('main', 'a'), routes('fixed-routes', 'fixed')] };
    server.setSnapshot(NODE.id, dynamic);
    await source.whenReady();
    assert.ok(store.getCluster('fixed'), 'static cluster kept through CDS');
    assert.equal((await get(store.listenerPort('admin-ish')!)).body, 'static');
    assert.equal((await get(store.listenerPort('http')!)).body, 'a');
    // A dynamic cluster may not shadow a static one.
    const nacked = nackOf(server);
    server.setSnapshot(NODE.id, { ...dynamic, cds: { version: '2', resources: [edsCluster('fixed')] } });
    assert.match((await nacked).errorMessage, /duplicate cluster name/);
  });
});
