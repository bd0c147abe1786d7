import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { InvalidConfigError, UpstreamStatusError, UpstreamUnavailableError } from '../errors.js';
import { childContext, runWithTrace } from '../logging/trace-context.js';
import { connect, resolveRoute } from './connect.js';
import { DiscoveryWatcher, StaticEndpoints } from './endpoints.js';
import { ServiceClient } from './service-client.js';
import { get, post, typedClient } from './typed-client.js';

interface Seen {
  name: string;
  headers: IncomingHttpHeaders;
  url: string;
  body: string;
}

async function app(name: string, seen: Seen[], status = 200): Promise<{ server: Server; port: number }> {
  const server = createServer(async (req, res) => {
    let body = '';
    for await (const c of req) body += c;
    seen.push({ name, headers: req.headers, url: req.url!, body });
    res.writeHead(status, {
      'content-type': status >= 400 ? 'application/problem+json' : 'application/json',
    });
    res.end(
      JSON.stringify(status >= 400 ? { detail: 'out of stock', code: 'X' } : { from: name, url: req.url }),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port };
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('service client', () => {
  const seen: Seen[] = [];
  const servers: Server[] = [];
  const clients: ServiceClient[] = [];
  let a: number;
  let b: number;
  let failing: number;
  before(async () => {
    const sa = await app('a', seen);
    const sb = await app('b', seen);
    const sf = await app('f', seen, 409);
    servers.push(sa.server, sb.server, sf.server);
    [a, b, failing] = [sa.port, sb.port, sf.port];
  });
  after(async () => {
    for (const c of clients) await c.close();
    for (const s of servers) {
      s.closeAllConnections();
      s.close();
    }
  });
  const track = (c: ServiceClient) => {
    clients.push(c);
    return c;
  };

  test('round-robins over endpoints and fails over past a dead one', async () => {
    const dead = await freePort();
    const client = track(
      new ServiceClient({
        service: 'catalog',
        route: {
          kind: 'endpoints',
          source: new StaticEndpoints([
            { host: '127.0.0.1', port: dead },
            { host: '127.0.0.1', port: a },
            { host: '127.0.0.1', port: b },
          ]),
        },
      }),
    );
    const from = [];
    for (let i = 0; i < 6; i++) from.push((await client.get<{ from: string }>('/products')).from);
    assert.ok(from.includes('a') && from.includes('b'));
    assert.equal(from.length, 6, 'no request failed although one endpoint is down');
  });

  test('a reset after the request was sent fails over only when the request is safe to repeat', async () => {
    let resets = 0;
    const resetting = createServer((req) => {
      resets++;
      req.socket.destroy();
    });
    await new Promise<void>((r) => resetting.listen(0, '127.0.0.1', r));
    servers.push(resetting);
    const port = (resetting.address() as AddressInfo).port;
    const client = track(
      new ServiceClient({
        service: 'payments',
        route: {
          kind: 'endpoints',
          source: new StaticEndpoints([
            { host: '127.0.0.1', port },
            { host: '127.0.0.1', port: b },
          ]),
        },
      }),
    );
    const before = seen.filter((x) => x.name === 'b').length;
    await assert.rejects(client.post('/charge', { amount: 1 }), UpstreamUnavailableError);
    assert.equal(seen.filter((x) => x.name === 'b').length, before, 'a plain POST is not replayed elsewhere');
    await client.post('/charge', { amount: 1 }, { idempotencyKey: 'k-1' }).catch(() => undefined);
    await client.post('/charge', { amount: 1 }, { idempotencyKey: 'k-1' }).catch(() => undefined);
    assert.ok(seen.filter((x) => x.name === 'b').length > before, 'a keyed POST fails over');
    assert.ok(resets >= 2);
  });

  test('through the sidecar every call goes to the outbound port with Host set to the service', async () => {
    const client = track(connect('inventory', { env: { MESHWORK_SIDECAR_OUTBOUND_PORT: String(a) } }));
    const trace = childContext(undefined);
    await runWithTrace(trace, () =>
      client.post('/reserve', { qty: 1 }, { idempotencyKey: 'order-1:reserve' }),
    );
    const last = seen.at(-1)!;
    assert.equal(last.headers.host, 'inventory');
    assert.equal(last.headers['idempotency-key'], 'order-1:reserve');
    assert.equal(last.headers.traceparent, `00-${trace.traceId}-${trace.spanId}-01`);
    assert.equal(last.body, '{"qty":1}');
  });

  test('non-2xx answers throw UpstreamStatusError carrying the problem', async () => {
    const client = track(
      connect('inventory', { env: { MESHWORK_ENDPOINTS_INVENTORY: `127.0.0.1:${failing}` } }),
    );
    const err = await client.get('/x').catch((e: unknown) => e);
    assert.ok(err instanceof UpstreamStatusError);
    assert.equal(err.status, 409);
    assert.equal(err.code, 'MESH_ERR_UPSTREAM_STATUS');
    assert.deepEqual(err.problem, { detail: 'out of stock', code: 'X' });
  });

  test('no endpoint reachable throws UpstreamUnavailableError', async () => {
    const client = track(
      connect('ghost', { env: { MESHWORK_ENDPOINTS_GHOST: `127.0.0.1:${await freePort()}` } }),
    );
    const err = await client.get('/').catch((e: unknown) => e);
    assert.ok(err instanceof UpstreamUnavailableError);
    assert.equal(err.code, 'MESH_ERR_UPSTREAM_UNAVAILABLE');
  });

  test('a policy wraps every proxyless call', async () => {
    let executions = 0;
    const policy = {
      async execute<T>(fn: (ctx: { signal?: AbortSignal }) => Promise<T>): Promise<T> {
        executions++;
        return fn({});
      },
    };
    const client = track(connect('a', { env: { MESHWORK_ENDPOINTS_A: `127.0.0.1:${a}` }, policy }));
    await client.get('/');
    assert.equal(executions, 1);
  });

  test('a typed client maps methods to requests like a Feign interface', async () => {
    const inventory = typedClient(
      track(
        connect('inventory-service', { env: { MESHWORK_ENDPOINTS_INVENTORY_SERVICE: `127.0.0.1:${b}` } }),
      ),
      {
        checkInventory: get<{ url: string }, [productId: number]>((id) => `/api/inventory/${id}`),
        reserve: post<{ url: string }, [orderId: string]>((orderId) => ({
          path: '/api/reservations',
          body: { orderId },
          idempotencyKey: orderId,
        })),
      },
    );
    assert.equal((await inventory.checkInventory(42)).url, '/api/inventory/42');
    assert.equal((await inventory.reserve('o-1')).url, '/api/reservations');
    assert.equal(seen.at(-1)!.headers['idempotency-key'], 'o-1');
  });

  test('an environment without any route is an error naming the variables', () => {
    assert.throws(
      () => resolveRoute('orders', { env: {} }),
      (err: unknown) => {
        assert.ok(err instanceof InvalidConfigError);
        assert.match(err.message, /MESHWORK_ENDPOINTS_ORDERS/);
        return true;
      },
    );
    assert.throws(
      () => resolveRoute('orders', { env: { MESHWORK_ENDPOINTS_ORDERS: 'x:y' } }),
      /MESHWORK_ENDPOINTS_ORDERS\[0\]/,
    );
  });
});

describe('discovery watcher', () => {
  test('follows blocking queries and swaps the endpoint list when the index moves', async () => {
    const queries: string[] = [];
    let index = 1;
    let instances = [{ instanceId: 'c-1', address: '127.0.0.1', port: 1001 }];
    const waiters: (() => void)[] = [];
    const server = createServer((req, res) => {
      queries.push(req.url!);
      const url = new URL(req.url!, 'http://x');
      const answer = () => {
        res.writeHead(200, { 'content-type': 'application/json', 'x-meshwork-index': String(index) });
        res.end(JSON.stringify(instances));
      };
      if (Number(url.searchParams.get('index')) >= index) waiters.push(answer);
      else answer();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const watcher = new DiscoveryWatcher({
      controlPlane: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      service: 'catalog',
    });
    try {
      await watcher.ready();
      assert.deepEqual(watcher.endpoints(), [
        { host: '127.0.0.1', port: 1001, id: 'c-1', version: undefined },
      ]);
      assert.equal(watcher.known, true);
      assert.match(queries[0], /\/v1\/registry\/services\/catalog\/instances\?healthy=true&index=0&wait=30s/);
      index = 2;
      instances = [...instances, { instanceId: 'c-2', address: '127.0.0.1', port: 1002 }];
      while (waiters.length === 0) await new Promise((r) => setTimeout(r, 5));
      waiters.shift()!();
      while (watcher.endpoints().length !== 2) await new Promise((r) => setTimeout(r, 5));
      assert.match(queries.at(-1)!, /index=2/);
    } finally {
      watcher.close();
      server.closeAllConnections();
      server.close();
    }
  });
});
