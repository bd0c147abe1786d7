import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, test } from 'node:test';
import pino from 'pino';
import type { HealthIndicator } from './health/health.js';
import { createService } from './service.js';

interface Call {
  method: string;
  path: string;
  body: unknown;
}

/** A tiny real implementation of the registry API that records every call. */
async function startRegistry(opts: { ttlMs: number }) {
  const calls: Call[] = [];
  const known = new Set<string>();
  const readiness = new Map<string, boolean>();
  const server = createServer(async (req, res) => {
    let text = '';
    for await (const chunk of req) text += chunk;
    const body = text ? JSON.parse(text) : undefined;
    calls.push({ method: req.method!, path: req.url!, body });
    const id = req.url!.split('/')[4];
    if (req.method === 'POST') {
      known.add(body.instanceId);
      res.writeHead(201, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ instanceId: body.instanceId, ttlMs: opts.ttlMs, spiffeId: 'x' }));
    }
    if (!known.has(decodeURIComponent(id))) return res.writeHead(404).end();
    if (req.url!.endsWith('/status')) readiness.set(id, body.ready);
    if (req.url!.endsWith('/heartbeat') && readiness.has(id)) {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ instanceId: id, ttlMs: opts.ttlMs, ready: readiness.get(id) }));
    }
    if (req.method === 'DELETE') {
      known.delete(id);
      return res.writeHead(204).end();
    }
    res.writeHead(200).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    server,
    url,
    calls,
    known,
    readiness,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const silent = pino({ level: 'silent' });
const until = async (cond: () => boolean, timeoutMs = 3000) => {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('service runtime with a registry', () => {
  const cleanups: (() => Promise<void>)[] = [];
  after(async () => {
    for (const c of cleanups) await c();
  });

  test('registers, heartbeats, re-registers after a 404 and deregisters on stop', async () => {
    const registry = await startRegistry({ ttlMs: 150 });
    cleanups.push(registry.close);
    const svc = createService({
      name: 'orders',
      instanceId: 'orders-1',
      controlPlane: registry.url,
      handleSignals: false,
      deregisterDelayMs: 0,
      log: silent,
      env: { MESHWORK_SIDECAR_INBOUND_PORT: '15106' },
    });
    const port = await svc.start();
    await until(() => registry.calls.some((c) => c.path.endsWith('/heartbeat')));
    const reg = registry.calls.find((c) => c.method === 'POST')!.body as Record<string, unknown>;
    assert.equal(reg.service, 'orders');
    assert.equal(reg.port, port);
    assert.equal(reg.sidecarPort, 15106);
    assert.equal(reg.protocol, 'http');
    assert.ok(registry.calls.some((c) => c.path.endsWith('/status') && (c.body as { ready: boolean }).ready));

    registry.known.clear(); // the control plane restarted and forgot us
    await until(() => registry.calls.filter((c) => c.method === 'POST').length === 2);
    await until(() => registry.known.has('orders-1'));

    await svc.stop('test');
    const last = registry.calls.at(-1)!;
    assert.equal(last.method, 'DELETE');
    assert.equal(last.path, '/v1/registry/instances/orders-1');
    assert.ok(
      registry.calls.some((c) => c.path.endsWith('/status') && !(c.body as { ready: boolean }).ready),
    );
  });

  test('a failing dependency flips readiness to 503 and reports not-ready to the registry', async () => {
    const registry = await startRegistry({ ttlMs: 10_000 });
    cleanups.push(registry.close);
    let inventoryUp = true;
    const dependency: HealthIndicator = {
      name: 'inventory',
      check: () => (inventoryUp ? { status: 'UP' } : { status: 'DOWN', details: { error: 'refused' } }),
    };
    const svc = createService({
      name: 'orders',
      instanceId: 'orders-2',
      controlPlane: registry.url,
      readinessIntervalMs: 20,
      handleSignals: false,
      deregisterDelayMs: 0,
      log: silent,
      env: {},
    }).health(dependency);
    const port = await svc.start();
    cleanups.push(() => svc.stop());
    await until(() => registry.calls.some((c) => c.path.endsWith('/status')));
    assert.equal((await fetch(`http://127.0.0.1:${port}/health/ready`)).status, 200);

    inventoryUp = false;
    const res = await fetch(`http://127.0.0.1:${port}/health/ready`);
    assert.equal(res.status, 503);
    const body = (await res.json()) as { components: Record<string, { status: string }> };
    assert.equal(body.components.inventory.status, 'DOWN');
    assert.equal(
      (await fetch(`http://127.0.0.1:${port}/health/live`)).status,
      200,
      'liveness ignores dependencies',
    );
    await until(() =>
      registry.calls.some(
        (c) => c.path === '/v1/registry/instances/orders-2/status' && !(c.body as { ready: boolean }).ready,
      ),
    );

    inventoryUp = true;
    const statusCalls = () => registry.calls.filter((c) => c.path.endsWith('/status'));
    await until(() => (statusCalls().at(-1)!.body as { ready: boolean }).ready);
  });

  test('after re-registering, a not-ready instance restates that it is not ready', async () => {
    const registry = await startRegistry({ ttlMs: 150 });
    cleanups.push(registry.close);
    const svc = createService({
      name: 'orders',
      instanceId: 'orders-3',
      controlPlane: registry.url,
      handleSignals: false,
      deregisterDelayMs: 0,
      log: silent,
      env: {},
    }).health({ name: 'db', check: () => ({ status: 'DOWN' }) });
    await svc.start();
    cleanups.push(() => svc.stop());
    await until(() => registry.calls.some((c) => c.path.endsWith('/status')));
    registry.known.clear();
    await until(() => registry.calls.filter((c) => c.method === 'POST').length === 2);
    const secondPost = registry.calls.findLastIndex((c) => c.method === 'POST');
    await until(() => registry.calls.slice(secondPost).some((c) => c.path.endsWith('/status')));
    const restated = registry.calls.slice(secondPost).find((c) => c.path.endsWith('/status'))!;
    assert.deepEqual(restated.body, { ready: false });
  });

  test('a readiness the registry lost is restated on the next heartbeat', async () => {
    const registry = await startRegistry({ ttlMs: 150 });
    cleanups.push(registry.close);
    const svc = createService({
      name: 'catalog',
      instanceId: 'catalog-9',
      controlPlane: registry.url,
      handleSignals: false,
      deregisterDelayMs: 0,
      log: silent,
    });
    await svc.start();
    await until(() => registry.readiness.get('catalog-9') === true);
    const statusCalls = () => registry.calls.filter((c) => c.path.endsWith('/status')).length;
    const before = statusCalls();
    // The registry comes back from a restart holding a stale "not ready" for this instance.
    registry.readiness.set('catalog-9', false);
    await until(() => registry.readiness.get('catalog-9') === true);
    assert.equal(statusCalls(), before + 1);
    await svc.stop('test');
  });

  test('keeps serving while the control plane is down, and registers once it appears', async () => {
    const placeholder = createServer();
    await new Promise<void>((r) => placeholder.listen(0, '127.0.0.1', r));
    const port = (placeholder.address() as AddressInfo).port;
    await new Promise<void>((r) => placeholder.close(() => r()));
    const svc = createService({
      name: 'users',
      instanceId: 'users-1',
      controlPlane: `http://127.0.0.1:${port}`,
      handleSignals: false,
      deregisterDelayMs: 0,
      log: silent,
      env: {},
    });
    svc.router.get('/ping', () => ({ pong: true }));
    const appPort = await svc.start();
    cleanups.push(() => svc.stop());
    assert.deepEqual(await (await fetch(`http://127.0.0.1:${appPort}/ping`)).json(), { pong: true });

    const calls: string[] = [];
    const late: Server = createServer((req, res) => {
      calls.push(`${req.method} ${req.url}`);
      res
        .writeHead(201, { 'content-type': 'application/json' })
        .end('{"instanceId":"users-1","ttlMs":10000}');
    });
    await new Promise<void>((r) => late.listen(port, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => late.close(() => r())));
    await until(() => calls.includes('POST /v1/registry/instances'), 8000);
  });
});

describe('configuration', () => {
  test('a bad PORT or sidecar port is an error naming the variable', async () => {
    const bad = createService({ name: 'x', handleSignals: false, log: silent, env: { PORT: 'eighty' } });
    await assert.rejects(bad.start(), (err: unknown) => {
      assert.equal((err as { code?: string }).code, 'MESH_ERR_INVALID_CONFIG');
      assert.match((err as Error).message, /PORT: "eighty" is not a port/);
      return true;
    });
    const svc = createService({
      name: 'y',
      controlPlane: 'http://127.0.0.1:1',
      handleSignals: false,
      log: silent,
      env: { MESHWORK_SIDECAR_INBOUND_PORT: '70000' },
    });
    await assert.rejects(svc.start(), /MESHWORK_SIDECAR_INBOUND_PORT: "70000" is not a port/);
    assert.equal(svc.server, undefined, 'nothing was bound');
  });
});

describe('graceful shutdown', () => {
  test('in-flight requests complete, keep-alive closes and new connections are refused', async () => {
    const svc = createService({
      name: 'slow',
      handleSignals: false,
      log: silent,
      env: {},
      shutdownDeadlineMs: 2000,
    });
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let arrived = 0;
    svc.router.get('/slow', async () => {
      arrived++;
      await gate;
      return { done: true };
    });
    let closedPool = false;
    svc.onShutdown(() => {
      closedPool = true;
    });
    const port = await svc.start();
    const inflight = [1, 2, 3].map(() => getJson(port, '/slow'));
    await until(() => arrived === 3);

    const stopped = svc.stop('SIGTERM');
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(closedPool, false, 'pools stay open while requests drain');
    await assert.rejects(fetch(`http://127.0.0.1:${port}/health/live`), 'new connections are refused');
    release();
    const results = await Promise.all(inflight);
    for (const r of results) {
      assert.equal(r.status, 200);
      assert.deepEqual(JSON.parse(r.body), { done: true });
      assert.equal(r.connection, 'close');
    }
    await stopped;
    assert.equal(closedPool, true);
  });

  test('the deadline cuts off requests that never finish', async () => {
    const svc = createService({
      name: 'stuck',
      handleSignals: false,
      log: silent,
      env: {},
      shutdownDeadlineMs: 50,
    });
    svc.router.get('/never', () => new Promise(() => {}));
    const port = await svc.start();
    const pending = getJson(port, '/never').catch((err: Error) => err);
    await new Promise((r) => setTimeout(r, 30));
    const startedAt = Date.now();
    await svc.stop();
    assert.ok(Date.now() - startedAt < 1000);
    assert.ok((await pending) instanceof Error);
  });
});

function getJson(port: number, path: string): Promise<{ status: number; body: string; connection?: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, agent: false, headers: { connection: 'keep-alive' } },
      (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, body, connection: res.headers.connection }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}
