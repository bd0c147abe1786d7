import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { PortInUseError } from './errors.js';
import { isPortFree, PortAllocator } from './ports.js';

test('allocated ports are distinct and free', async () => {
  const ports = new PortAllocator();
  const batch = [...(await ports.allocate(5)), ...(await ports.allocate(5))];
  assert.equal(new Set(batch).size, 10);
  for (const p of batch) assert.equal(await isPortFree(p), true);
});

test('reserving a port something listens on fails naming the port and its purpose', async () => {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const busy = (server.address() as { port: number }).port;
  try {
    const ports = new PortAllocator();
    await assert.rejects(ports.reserve(busy, 'gateway'), (err: unknown) => {
      assert.ok(err instanceof PortInUseError);
      assert.equal(err.code, 'MESH_ERR_PORT_IN_USE');
      assert.match(err.message, new RegExp(`port ${busy} \\(gateway\\)`));
      return true;
    });
  } finally {
    server.close();
  }
});

test('a fixed port is never handed out twice, and 0 means any free port', async () => {
  const ports = new PortAllocator();
  const [free] = await new PortAllocator().allocate(1);
  assert.equal(await ports.reserve(free, 'api'), free);
  await assert.rejects(ports.reserve(free, 'xds'), PortInUseError);
  const any = await ports.reserve(0, 'gateway');
  assert.notEqual(any, free);
  assert.ok(ports.all().includes(any));
});
