import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import pino from 'pino';
import { RegistryClient } from './registration.js';

/**
 * A registry that holds its answer to the registration until `answer()`, and a client started
 * against it; resolves once the registration request has arrived.
 */
async function heldRegistration(t: { after(fn: () => Promise<void>): void }) {
  const calls: string[] = [];
  let answer: (() => void) | undefined;
  let client: RegistryClient | undefined;
  await new Promise<void>((arrived) => {
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        calls.push(`${req.method} ${req.url}${body && req.method === 'PUT' ? ` ${body}` : ''}`);
        if (req.method === 'POST') {
          answer = () =>
            res
              .writeHead(201, { 'content-type': 'application/json' })
              .end(JSON.stringify({ instanceId: 'orders-7', ttlMs: 10_000 }));
          arrived();
          return;
        }
        res.writeHead(204).end();
      });
    });
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      client = new RegistryClient({
        controlPlane: `http://127.0.0.1:${port}`,
        registration: {
          service: 'orders',
          instanceId: 'orders-7',
          address: '127.0.0.1',
          port: 8080,
          protocol: 'http',
        },
        log: pino({ level: 'silent' }),
      });
      client.start();
    });
    t.after(() => new Promise<void>((r) => server.close(() => r())));
  });
  return { calls, client: client!, answer: answer! };
}

test('stopping while the registration is in flight deregisters once it is answered', async (t) => {
  const { calls, client, answer } = await heldRegistration(t);
  const stopped = client.stop();
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(calls, ['POST /v1/registry/instances'], 'nothing is sent before the answer');
  answer();
  await stopped;
  assert.deepEqual(calls, ['POST /v1/registry/instances', 'DELETE /v1/registry/instances/orders-7']);
  assert.equal(client.id, undefined);
});

test('"not ready" reported while the registration is in flight reaches the registry before the deregistration', async (t) => {
  const { calls, client, answer } = await heldRegistration(t);
  // What a service's shutdown does: report not ready, then stop.
  const shutdown = client.setReady(false).then(() => client.stop());
  await new Promise((r) => setTimeout(r, 20));
  answer();
  await shutdown;
  assert.deepEqual(calls, [
    'POST /v1/registry/instances',
    'PUT /v1/registry/instances/orders-7/status {"ready":false}',
    'DELETE /v1/registry/instances/orders-7',
  ]);
});
