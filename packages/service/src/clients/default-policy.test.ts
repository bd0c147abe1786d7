import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { UpstreamStatusError } from '../errors.js';
import { connect } from './connect.js';
import { defaultClientPolicy } from './default-policy.js';

describe('default proxyless policy', () => {
  let server: Server;
  let port: number;
  const plan: number[] = []; // statuses to answer next; 0 = never answer
  const hits: string[] = [];
  let closedEarly = 0;
  before(async () => {
    server = createServer((req, res) => {
      hits.push(`${req.method} ${req.url}`);
      const status = plan.shift() ?? 200;
      if (status === 0) {
        res.on('close', () => closedEarly++);
        return;
      }
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ status }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });
  const client = (options: Parameters<typeof defaultClientPolicy>[1]) =>
    connect('inventory', {
      env: { MESHWORK_ENDPOINTS_INVENTORY: `127.0.0.1:${port}` },
      policy: defaultClientPolicy('inventory', { retryWaitMs: 5, ...options }),
    });

  test('an idempotent call is retried after a 503 and succeeds', async () => {
    hits.length = 0;
    plan.push(503, 502);
    const c = client({});
    assert.deepEqual(await c.get('/stock/1'), { status: 200 });
    assert.equal(hits.length, 3);
    await c.close();
  });

  test('a POST is retried only when it carries an idempotency key', async () => {
    const c = client({});
    hits.length = 0;
    plan.push(503);
    await assert.rejects(
      c.post('/reserve', {}),
      (err: unknown) => err instanceof UpstreamStatusError && err.status === 503,
    );
    assert.equal(hits.length, 1);
    plan.push(503);
    assert.deepEqual(await c.post('/reserve', {}, { idempotencyKey: 'o-1:reserve' }), { status: 200 });
    assert.equal(hits.length, 3);
    await c.close();
  });

  test('client errors are neither retried nor counted as failures', async () => {
    const c = client({ slidingWindowSize: 2 });
    hits.length = 0;
    plan.push(404, 404, 404);
    for (let i = 0; i < 3; i++) await assert.rejects(c.get('/nope'), UpstreamStatusError);
    assert.equal(hits.length, 3);
    assert.deepEqual(await c.get('/ok'), { status: 200 }, 'the breaker stayed closed');
    await c.close();
  });

  test('the breaker opens after repeated failures and then rejects without calling', async () => {
    const c = client({ maxAttempts: 1, slidingWindowSize: 4 });
    plan.push(503, 503, 503, 503);
    for (let i = 0; i < 4; i++) await assert.rejects(c.get('/flaky'), UpstreamStatusError);
    hits.length = 0;
    await assert.rejects(
      c.get('/flaky'),
      (err: unknown) => (err as { code?: string }).code === 'MESH_ERR_CIRCUIT_OPEN',
    );
    assert.equal(hits.length, 0);
    await c.close();
  });

  test('each attempt is bounded by the time limiter and the request is cancelled', async () => {
    const c = client({ maxAttempts: 1, attemptTimeoutMs: 100 });
    plan.push(0);
    const before = closedEarly;
    const startedAt = Date.now();
    await assert.rejects(
      c.get('/slow'),
      (err: unknown) => (err as { code?: string }).code === 'MESH_ERR_TIMEOUT',
    );
    assert.ok(Date.now() - startedAt < 1000);
    while (closedEarly === before) await new Promise((r) => setTimeout(r, 10));
    await c.close();
  });
});
