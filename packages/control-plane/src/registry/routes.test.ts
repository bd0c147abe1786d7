import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type ApiServer, createApiServer } from '../api/server.js';
import { Registry } from './registry.js';
import { registryRoutes } from './routes.js';

let api: ApiServer;
let registry: Registry;

before(async () => {
  registry = new Registry({ autoSweep: false });
  api = await createApiServer({ port: 0, routes: registryRoutes(registry) });
});
after(async () => {
  registry.close();
  await api.close();
});

async function call(method: string, path: string, body?: unknown) {
  const res = await fetch(api.url + path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : undefined };
}

describe('registry routes', () => {
  test('register, heartbeat, status and deregister follow the contract', async () => {
    const reg = await call('POST', '/v1/registry/instances', {
      service: 'orders',
      instanceId: 'orders-1',
      address: '127.0.0.1',
      port: 8080,
      sidecarPort: 15006,
      protocol: 'http',
    });
    assert.equal(reg.status, 201);
    assert.equal(reg.headers.get('x-meshwork-index'), String(registry.index()));
    assert.deepEqual(reg.json, {
      instanceId: 'orders-1',
      ttlMs: 10_000,
      spiffeId: 'spiffe://cluster.local/ns/default/sa/orders',
    });
    assert.equal((await call('PUT', '/v1/registry/instances/orders-1/heartbeat')).status, 200);
    const status = await call('PUT', '/v1/registry/instances/orders-1/status', { ready: false });
    assert.equal(status.json.healthy, false);
    assert.equal((await call('DELETE', '/v1/registry/instances/orders-1')).status, 204);
    const hb = await call('PUT', '/v1/registry/instances/orders-1/heartbeat');
    assert.equal(hb.status, 404);
    assert.match(hb.headers.get('content-type') ?? '', /^application\/problem\+json/);
  });

  test('a bad registration answers 400 problem+json naming the field', async () => {
    const res = await call('POST', '/v1/registry/instances', {
      service: 'orders',
      address: '127.0.0.1',
      port: 'eighty',
    });
    assert.equal(res.status, 400);
    assert.match(res.json.detail, /port:/);
  });

  test('discovery filters healthy instances and a blocking query waits for a change', async () => {
    await call('POST', '/v1/registry/instances', {
      service: 'stock',
      instanceId: 'stock-1',
      address: '127.0.0.1',
      port: 7001,
    });
    await call('POST', '/v1/registry/instances', {
      service: 'stock',
      instanceId: 'stock-2',
      address: '127.0.0.1',
      port: 7002,
    });
    await call('PUT', '/v1/registry/instances/stock-2/status', { ready: false });
    const first = await call('GET', '/v1/registry/services/stock/instances?healthy=true');
    assert.deepEqual(
      first.json.instances.map((i: any) => i.instanceId),
      ['stock-1'],
    );
    const index = Number(first.headers.get('x-meshwork-index'));
    assert.ok(index > 0);
    const blocked = call('GET', `/v1/registry/services/stock/instances?healthy=true&index=${index}&wait=5s`);
    setTimeout(() => void call('PUT', '/v1/registry/instances/stock-2/status', { ready: true }), 30);
    const second = await blocked;
    assert.ok(Number(second.headers.get('x-meshwork-index')) > index);
    assert.deepEqual(second.json.instances.map((i: any) => i.instanceId).sort(), ['stock-1', 'stock-2']);
    const services = await call('GET', '/v1/registry/services');
    assert.ok(services.json.services.some((s: any) => s.name === 'stock' && s.instances === 2));
  });

  test('an outlier report demotes the instance', async () => {
    await call('POST', '/v1/registry/instances', {
      service: 'pay',
      instanceId: 'pay-1',
      address: '127.0.0.1',
      port: 7100,
    });
    const res = await call('POST', '/v1/registry/instances/pay-1/outlier', { ejectionMs: 10_000 });
    assert.equal(res.json.outlier, true);
    assert.equal(registry.endpointsOf('pay', 'default')[0].health, 'DEGRADED');
    assert.equal(
      (await call('POST', '/v1/registry/instances/pay-1/outlier', { ejectionMs: -1 })).status,
      400,
    );
  });

  test('a malformed wait is rejected', async () => {
    const res = await call('GET', '/v1/registry/services/stock/instances?index=1&wait=soon');
    assert.equal(res.status, 400);
    assert.match(res.json.detail, /wait/);
  });
});
