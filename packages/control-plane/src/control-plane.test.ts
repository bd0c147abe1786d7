import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { AdsClient, accept, reject, TYPE_URLS, type XdsUpdate } from '@meshwork/xds';
import { type ControlPlane, startControlPlane } from './control-plane.js';

const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function start(opts: Parameters<typeof startControlPlane>[0] = {}): Promise<ControlPlane> {
  const cp = await startControlPlane({ restPort: 0, xdsPort: 0, debounceMs: 10, ...opts });
  cleanups.push(() => cp.close());
  return cp;
}

function sidecarClient(
  address: string,
  id: string,
  onUpdate?: (u: XdsUpdate) => ReturnType<typeof accept> | undefined,
  delta = false,
) {
  const client = new AdsClient({
    delta,
    address,
    node: {
      id,
      cluster: 'orders',
      metadata: {
        mode: 'sidecar',
        service: 'orders',
        namespace: 'default',
        inbound_port: 15006,
        outbound_port: 15001,
        app_port: 8080,
      },
    },
    onUpdate,
    backoff: { initialMs: 20, maxMs: 100 },
  });
  client.watch(TYPE_URLS.ROUTE_CONFIGURATION, ['outbound']);
  client.start();
  cleanups.push(() => client.close());
  return client;
}

async function until<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 5000,
): Promise<T> {
  const started = Date.now();
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function rest(
  cp: ControlPlane,
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json',
) {
  const res = await fetch(cp.url + path, {
    method,
    headers: body === undefined ? {} : { 'content-type': contentType },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

function routeCluster(client: AdsClient, host: string): string | undefined {
  const rc = client.resources(TYPE_URLS.ROUTE_CONFIGURATION).get('outbound') as any;
  const vh = rc?.virtual_hosts?.find((v: any) => v.domains.includes(host));
  const r = vh?.routes?.[0]?.route;
  return r?.cluster ?? r?.weighted_clusters?.clusters?.map((c: any) => `${c.name}@${c.weight}`).join(',');
}

const REVIEWS_YAML = (subset: string) => `
apiVersion: v1
kind: Service
metadata: { name: reviews }
spec: { ports: [{ port: 9080, name: http }] }
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: reviews }
spec:
  host: reviews
  subsets: [{ name: v1, labels: { version: v1 } }, { name: v2, labels: { version: v2 } }]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: reviews }
spec:
  hosts: [reviews]
  http: [{ route: [{ destination: { host: reviews, subset: ${subset} } }] }]
`;

describe('control plane over real sockets', () => {
  test('an apply reaches a connected proxy and its change converges', async () => {
    const cp = await start();
    const client = sidecarClient(cp.xdsAddress, 'orders-1');
    await until('listeners', () => client.resources(TYPE_URLS.LISTENER).size === 2);
    const applied = await rest(cp, 'POST', '/v1/resources', REVIEWS_YAML('v1'), 'application/yaml');
    assert.equal(applied.status, 200, JSON.stringify(applied.json));
    await until(
      'route to v1',
      () => routeCluster(client, 'reviews') === 'outbound|9080|v1|reviews.default.svc.cluster.local',
    );
    assert.ok(client.resources(TYPE_URLS.CLUSTER).has('outbound|9080|v2|reviews.default.svc.cluster.local'));
    const report = await until('convergence', async () => {
      const r = await rest(cp, 'GET', `/changes/${applied.json.changeId}`);
      return r.json.proxies.pending === 0 && r.json.state === 'pushed' ? r : undefined;
    });
    const r = report.json;
    assert.equal(r.proxies.total, 1);
    assert.equal(r.proxies.acked, 1);
    assert.equal(r.proxies.nacked, 0);
    assert.ok(r.convergenceMs.max >= 0);

    const proxies = await rest(cp, 'GET', '/v1/proxies');
    const me = proxies.json.proxies.find((p: any) => p.id === 'orders-1');
    assert.equal(me.mode, 'sidecar');
    assert.ok(me.streams[0].types.every((t: any) => t.state === 'ACKED'));
    const config = await rest(cp, 'GET', '/v1/proxies/orders-1/config?type=routes');
    assert.equal(config.json.routes.resources[0].name, 'outbound');
    assert.equal((await rest(cp, 'GET', '/v1/proxies/orders-1/config?type=secrets')).status, 400);
    assert.equal((await rest(cp, 'GET', '/changes/999999')).status, 404);
  });

  test('changes within the debounce window go out as one push', async () => {
    const cp = await start({ debounceMs: 400 });
    const client = sidecarClient(cp.xdsAddress, 'orders-burst');
    await until('routes', () => client.resources(TYPE_URLS.ROUTE_CONFIGURATION).has('outbound'));
    const before = client.version(TYPE_URLS.ROUTE_CONFIGURATION);
    const [first, second] = await Promise.all([
      rest(cp, 'POST', '/v1/resources', REVIEWS_YAML('v1'), 'application/yaml'),
      rest(cp, 'POST', '/v1/resources', REVIEWS_YAML('v2'), 'application/yaml'),
    ]);
    // Applies are serialized by the store: whichever landed last decides the route.
    const lastSubset = Number(first.json.changeId) > Number(second.json.changeId) ? 'v1' : 'v2';
    await until('final route', () => routeCluster(client, 'reviews')?.includes(`|${lastSubset}|`));
    const after = client.version(TYPE_URLS.ROUTE_CONFIGURATION);
    assert.equal(Number(after) - Number(before), 1, 'one version step for two applies');
    const a = (await rest(cp, 'GET', `/changes/${first.json.changeId}`)).json;
    const b = (await rest(cp, 'GET', `/changes/${second.json.changeId}`)).json;
    assert.equal(a.state, 'pushed');
    assert.ok(a.pushDelayMs >= 390, `debounced ${a.pushDelayMs} ms`);
    assert.equal(b.state, 'pushed');
  });

  test('a delta ADS client gets the same configuration and converges', async () => {
    const cp = await start();
    const client = sidecarClient(cp.xdsAddress, 'orders-delta', undefined, true);
    // Connected first, so the change has a proxy to converge on.
    await until('listeners', () => client.resources(TYPE_URLS.LISTENER).size === 2);
    const applied = await rest(cp, 'POST', '/v1/resources', REVIEWS_YAML('v2'), 'application/yaml');
    await until(
      'route to v2',
      () => routeCluster(client, 'reviews') === 'outbound|9080|v2|reviews.default.svc.cluster.local',
    );
    await until('convergence', async () => {
      const r = await rest(cp, 'GET', `/changes/${applied.json.changeId}`);
      return r.json.state === 'pushed' && r.json.proxies.pending === 0 && r.json.proxies.acked === 1;
    });
    const proxy = await rest(cp, 'GET', '/v1/proxies/orders-delta');
    assert.equal(proxy.json.streams[0].delta, true);
  });

  test('a NACKed push is recorded and the proxy keeps its last good routes', async () => {
    const cp = await start();
    const client = sidecarClient(cp.xdsAddress, 'picky-1', (u) => {
      const rc = u.resources.get('outbound') as any;
      const bad = rc?.virtual_hosts?.some((v: any) =>
        v.routes.some((r: any) => r.route?.cluster?.includes('|v2|')),
      );
      return bad ? reject('route: subset v2 is not allowed here') : accept();
    });
    const first = await rest(cp, 'POST', '/v1/resources', REVIEWS_YAML('v1'), 'application/yaml');
    assert.equal(first.status, 200);
    await until('v1 route', () => routeCluster(client, 'reviews')?.includes('|v1|'));
    const second = await rest(cp, 'POST', '/v1/resources', REVIEWS_YAML('v2'), 'application/yaml');
    const report = await until('nack recorded', async () => {
      const r = await rest(cp, 'GET', `/changes/${second.json.changeId}`);
      return r.json.proxies.nacked === 1 ? r.json : undefined;
    });
    const r = report;
    assert.equal(r.nacks[0].node, 'picky-1');
    assert.equal(r.nacks[0].typeUrl, TYPE_URLS.ROUTE_CONFIGURATION);
    assert.match(r.nacks[0].error, /subset v2 is not allowed/);
    assert.equal(routeCluster(client, 'reviews'), 'outbound|9080|v1|reviews.default.svc.cluster.local');
    const proxy = await rest(cp, 'GET', '/v1/proxies/picky-1');
    assert.equal(proxy.json.nacks.length, 1);
  });

  test('a workload that stops heartbeating leaves the endpoints within a second of its TTL', async () => {
    const cp = await start();
    const client = sidecarClient(cp.xdsAddress, 'orders-2');
    const reg = await rest(cp, 'POST', '/v1/registry/instances', {
      service: 'inventory',
      instanceId: 'inventory-1',
      address: '127.0.0.1',
      port: 7000,
      sidecarPort: 17000,
      ttlMs: 300,
    });
    assert.equal(reg.status, 201);
    const cluster = 'outbound|7000||inventory.default.svc.cluster.local';
    client.watch(TYPE_URLS.CLUSTER_LOAD_ASSIGNMENT, [cluster]);
    const endpointCount = () =>
      ((client.resources(TYPE_URLS.CLUSTER_LOAD_ASSIGNMENT).get(cluster) as any)?.endpoints ?? []).flatMap(
        (l: any) => l.lb_endpoints,
      ).length;
    await until('endpoint present', () => endpointCount() === 1);
    const ep = (client.resources(TYPE_URLS.CLUSTER_LOAD_ASSIGNMENT).get(cluster) as any).endpoints[0]
      .lb_endpoints[0];
    assert.equal(ep.endpoint.address.socket_address.port_value, 17000);
    let detectedAt = 0;
    cp.registry.onChange((c) => {
      if (c.instanceId === 'inventory-1' && c.reason === 'expired') detectedAt = Date.now();
    });
    await until('endpoint gone', () => endpointCount() === 0, 3000);
    assert.ok(detectedAt > 0, 'the TTL sweep detected the silence');
    const goneAfterMs = Date.now() - detectedAt;
    assert.ok(goneAfterMs < 1000, `gone ${goneAfterMs} ms after detection`);
    assert.equal((await rest(cp, 'PUT', '/v1/registry/instances/inventory-1/heartbeat')).status, 200);
    await until('endpoint back', () => endpointCount() === 1);
    // A second instance on another port changes the service's port set and its endpoints at once.
    await rest(cp, 'POST', '/v1/registry/instances', {
      service: 'inventory',
      instanceId: 'inventory-2',
      address: '127.0.0.1',
      port: 7001,
      sidecarPort: 17001,
    });
    await until('second endpoint', () => endpointCount() === 2);
  });

  test('after a control-plane restart the proxy resyncs from the persisted store', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshd-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const first = await startControlPlane({ restPort: 0, xdsPort: 0, debounceMs: 10, dataDir: dir });
    const client = sidecarClient(first.xdsAddress, 'orders-3');
    await rest(first, 'POST', '/v1/resources', REVIEWS_YAML('v1'), 'application/yaml');
    await until('v1 route', () => routeCluster(client, 'reviews')?.includes('|v1|'));
    const xdsPort = first.xdsPort;
    await first.close();
    await until('disconnect', () => !client.connected);
    assert.ok(
      routeCluster(client, 'reviews')?.includes('|v1|'),
      'last good config kept while the control plane is gone',
    );
    const second = await start({ dataDir: dir, xdsPort });
    await until('reconnect', () => client.connected);
    await rest(second, 'POST', '/v1/resources', REVIEWS_YAML('v2'), 'application/yaml');
    await until('v2 route after restart', () => routeCluster(client, 'reviews')?.includes('|v2|'));
  });
});
