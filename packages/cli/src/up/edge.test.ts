import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type Edge, loadEdgeRoutes, startEdge } from './edge.js';
import { PortAllocator } from './ports.js';

const SHOP_MESH = ['gateway.yaml', 'catalog-canary.yaml'].map((f) =>
  fileURLToPath(new URL(`../../../../examples/shop/mesh/${f}`, import.meta.url)),
);

describe('no-mesh edge', () => {
  const servers: Server[] = [];
  let edge: Edge;
  let base: string;
  const seen: string[] = [];
  let lastHeaders: Record<string, unknown> = {};
  let current: Record<string, { port: number; version: string }[]> = {};

  async function upstream(name: string): Promise<number> {
    const server = createServer((req, res) => {
      seen.push(`${name} ${req.method} ${req.url}`);
      lastHeaders = req.headers;
      res.writeHead(200, { 'content-type': 'application/json', 'x-served-by': name });
      res.end(JSON.stringify({ name, url: req.url }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    servers.push(server);
    return (server.address() as { port: number }).port;
  }

  before(async () => {
    const ports = new PortAllocator();
    const [dead, edgePort] = await ports.allocate(2);
    current = {
      catalog: [
        { port: dead, version: 'v1' },
        { port: await upstream('catalog-2'), version: 'v1' },
        { port: await upstream('catalog-3'), version: 'v2' },
      ],
      payments: [{ port: await upstream('payments-1'), version: 'v1' }],
      orders: [{ port: await upstream('orders-1'), version: 'v1' }],
    };
    edge = await startEdge(edgePort, loadEdgeRoutes(SHOP_MESH), (service) => current[service] ?? []);
    base = `http://127.0.0.1:${edgePort}`;
  });
  after(async () => {
    await edge.close();
    for (const s of servers) s.close();
  });

  test('routes come from the VirtualService bound to the gateway, with subsets resolved to versions', () => {
    const routes = loadEdgeRoutes(SHOP_MESH);
    const catalog = routes.find((r) => r.name === 'catalog')!;
    assert.equal(catalog.prefix, '/api/products');
    assert.deepEqual(
      catalog.destinations.map((d) => [d.service, d.version, d.weight]),
      [
        ['catalog', 'v1', 95],
        ['catalog', 'v2', 5],
      ],
    );
    assert.equal(catalog.timeoutMs, 2000);
    assert.equal(routes.find((r) => r.name === 'payments-admin')!.rewrite, '/admin/');
  });

  test('requests reach the matching service and keep succeeding past a dead replica', async () => {
    for (let i = 0; i < 10; i++) {
      const res = await fetch(`${base}/api/products?page=${i}`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('x-served-by')!, /^catalog-[23]$/);
    }
  });

  test('rewrites replace the matched prefix and bodies are forwarded', async () => {
    const res = await fetch(`${base}/admin/payments/fail`, { method: 'POST', body: '{"mode":"always"}' });
    assert.deepEqual(await res.json(), { name: 'payments-1', url: '/admin/fail' });
    assert.equal(seen.at(-1), 'payments-1 POST /admin/fail');
  });

  test('a service with no ready instance answers 503, and routing follows the endpoint source', async () => {
    const saved = current.payments;
    current = { ...current, payments: [] };
    const res = await fetch(`${base}/api/payments`);
    assert.equal(res.status, 503);
    assert.match(((await res.json()) as { detail: string }).detail, /no ready instance of payments/);
    current = { ...current, payments: saved };
    assert.equal((await fetch(`${base}/api/payments`)).status, 200);
  });

  test('hop-by-hop headers are dropped, forwarding headers and a request id added', async () => {
    await new Promise<void>((resolve, reject) => {
      const headers = {
        'x-custom': 'kept',
        'keep-alive': 'timeout=5',
        connection: 'x-custom-hop',
        'x-custom-hop': 'dropped',
      };
      request(`${base}/api/orders`, { headers }, (res) => res.resume().on('end', resolve))
        .on('error', reject)
        .end();
    });
    assert.equal(lastHeaders['x-custom'], 'kept');
    assert.equal(lastHeaders['x-custom-hop'], undefined);
    assert.equal(lastHeaders['keep-alive'], undefined);
    assert.equal(lastHeaders['x-forwarded-for'], '127.0.0.1');
    assert.equal(lastHeaders['x-forwarded-proto'], 'http');
    assert.match(String(lastHeaders['x-request-id']), /^[0-9a-f-]{36}$/);
  });

  test('an unrouted path is a 404 problem', async () => {
    const res = await fetch(`${base}/nowhere`);
    assert.equal(res.status, 404);
    assert.equal(res.headers.get('content-type'), 'application/problem+json');
  });
});
