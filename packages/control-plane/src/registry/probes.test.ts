import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServer as createTcpServer } from 'node:net';
import { after, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { HealthChecker } from './health-checker.js';
import { defaultProbe } from './probes.js';
import { Registry } from './registry.js';

const closers: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const close of closers) await close();
});

async function httpServer(status: () => number): Promise<number> {
  const server: Server = createServer((req, res) => {
    res.statusCode = req.url === '/ready' ? status() : 404;
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => new Promise<void>((r) => server.close(() => r())));
  return (server.address() as AddressInfo).port;
}

async function grpcHealthServer(status: number): Promise<number> {
  const server = new grpc.Server();
  server.addService(
    {
      Check: {
        path: '/grpc.health.v1.Health/Check',
        requestStream: false,
        responseStream: false,
        requestSerialize: (v: Buffer) => v,
        requestDeserialize: (b: Buffer) => b,
        responseSerialize: (v: number) => Buffer.from([0x08, v]),
        responseDeserialize: (b: Buffer) => b[1],
      },
    },
    { Check: (_call: unknown, cb: (err: null, v: number) => void) => cb(null, status) },
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  closers.push(() => new Promise<void>((r) => server.tryShutdown(() => r())));
  return port;
}

describe('probes', () => {
  test('HTTP passes on 2xx and fails on anything else', async () => {
    let status = 200;
    const port = await httpServer(() => status);
    await defaultProbe({ type: 'http', address: '127.0.0.1', port, path: '/ready', timeoutMs: 1000 });
    status = 503;
    await assert.rejects(
      defaultProbe({ type: 'http', address: '127.0.0.1', port, path: '/ready', timeoutMs: 1000 }),
      /HTTP 503/,
    );
  });

  test('TCP passes when a connection opens and fails when refused', async () => {
    const server = createTcpServer((s) => s.destroy());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    await defaultProbe({ type: 'tcp', address: '127.0.0.1', port, path: '/', timeoutMs: 1000 });
    await new Promise<void>((r) => server.close(() => r()));
    await assert.rejects(
      defaultProbe({ type: 'tcp', address: '127.0.0.1', port, path: '/', timeoutMs: 1000 }),
    );
  });

  test('gRPC health passes on SERVING and fails on NOT_SERVING', async () => {
    const serving = await grpcHealthServer(1);
    await defaultProbe({ type: 'grpc', address: '127.0.0.1', port: serving, path: '/', timeoutMs: 2000 });
    const notServing = await grpcHealthServer(2);
    await assert.rejects(
      defaultProbe({ type: 'grpc', address: '127.0.0.1', port: notServing, path: '/', timeoutMs: 2000 }),
      /status 2/,
    );
  });
});

describe('HealthChecker', () => {
  test('an instance failing its HTTP check leaves the endpoints and returns when it passes again', async () => {
    let status = 200;
    const port = await httpServer(() => status);
    const registry = new Registry({ autoSweep: false });
    const checker = new HealthChecker(registry);
    closers.push(() => checker.close());
    registry.register({
      service: 'web',
      instanceId: 'web-1',
      address: '127.0.0.1',
      port,
      healthCheck: { type: 'http', path: '/ready', intervalMs: 20, timeoutMs: 20, unhealthyThreshold: 1 },
    });
    assert.equal(checker.size, 1);
    const until = async (want: number) => {
      for (let i = 0; i < 300 && registry.endpointsOf('web', 'default').length !== want; i++) {
        await new Promise((r) => setTimeout(r, 10));
      }
      assert.equal(registry.endpointsOf('web', 'default').length, want);
    };
    status = 500;
    await until(0);
    status = 200;
    await until(1);
    registry.deregister('web-1');
    assert.equal(checker.size, 0);
  });
});
