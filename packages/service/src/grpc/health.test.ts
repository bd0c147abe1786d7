import assert from 'node:assert/strict';
import { test } from 'node:test';
import { grpc, startGrpcServer } from './grpc.js';
import { healthService } from './health.js';

type Answer = { status?: string };

function check(client: grpc.Client, service: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(
      '/grpc.health.v1.Health/Check',
      (req: { service: string }) =>
        Buffer.from(req.service ? [0x0a, req.service.length, ...Buffer.from(req.service)] : []),
      (buf: Buffer) => ({
        status: ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'][buf.length >= 2 ? buf[1] : 0],
      }),
      { service },
      (err, res) => (err ? reject(err) : resolve(res as Answer)),
    );
  });
}

test('Check follows readiness, names known services, and Watch streams changes', async () => {
  let serving = true;
  const handle = await startGrpcServer({
    port: 0,
    services: [healthService(() => serving, ['shop.Inventory'])],
  });
  const client = new grpc.Client(`127.0.0.1:${handle.port}`, grpc.credentials.createInsecure());
  try {
    assert.deepEqual(await check(client, ''), { status: 'SERVING' });
    assert.deepEqual(await check(client, 'shop.Inventory'), { status: 'SERVING' });
    await assert.rejects(
      check(client, 'nope'),
      (err: grpc.ServiceError) => err.code === grpc.status.NOT_FOUND,
    );

    const seen: string[] = [];
    const stream = client.makeServerStreamRequest(
      '/grpc.health.v1.Health/Watch',
      () => Buffer.alloc(0),
      (buf: Buffer) => ['UNKNOWN', 'SERVING', 'NOT_SERVING'][buf.length >= 2 ? buf[1] : 0],
      {},
    );
    stream.on('data', (s: string) => seen.push(s));
    stream.on('error', () => {});
    while (seen.length < 1) await new Promise((r) => setTimeout(r, 10));
    serving = false;
    assert.deepEqual(await check(client, ''), { status: 'NOT_SERVING' });
    while (seen.length < 2) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(seen, ['SERVING', 'NOT_SERVING']);
    stream.cancel();
  } finally {
    client.close();
    await handle.close(100);
  }
});
