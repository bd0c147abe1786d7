import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import pino from 'pino';
import { RegistryClient } from './registration.js';

test('stopping while the registration is in flight deregisters once it is answered', async (t) => {
  const calls: string[] = [];
  let answerRegistration: (() => void) | undefined;
  const posted = new Promise<void>((arrived) => {
    const server = createServer((req, res) => {
      calls.push(`${req.method} ${req.url}`);
      req.resume();
      if (req.method === 'POST') {
        // Held until the test says so: the instance stops while this is in flight.
        answerRegistration = () =>
          res
            .writeHead(201, { 'content-type': 'application/json' })
            .end(JSON.stringify({ instanceId: 'orders-7', ttlMs: 10_000 }));
        arrived();
        return;
      }
      res.writeHead(204).end();
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
  let client: RegistryClient | undefined;
  await posted;
  const stopped = client!.stop();
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(calls, ['POST /v1/registry/instances'], 'nothing is sent before the answer');
  answerRegistration!();
  await stopped;
  assert.deepEqual(calls, ['POST /v1/registry/instances', 'DELETE /v1/registry/instances/orders-7']);
  assert.equal(client!.id, undefined);
});
