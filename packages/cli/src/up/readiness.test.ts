import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { test } from 'node:test';
import { PortAllocator } from './ports.js';
import { probeOnce } from './readiness.js';

test('http needs a 2xx, tcp a listener, and `all` every one of its checks', async () => {
  const server = createServer((req, res) => res.writeHead(req.url === '/ready' ? 200 : 503).end());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const [closed] = await new PortAllocator().allocate(1);
  try {
    assert.equal(await probeOnce({ http: `http://127.0.0.1:${port}/ready` }), true);
    assert.equal(await probeOnce({ http: `http://127.0.0.1:${port}/starting` }), false);
    assert.equal(await probeOnce({ tcp: { host: '127.0.0.1', port } }), true);
    assert.equal(await probeOnce({ tcp: { host: '127.0.0.1', port: closed } }), false);
    const ok = { http: `http://127.0.0.1:${port}/ready` };
    assert.equal(await probeOnce({ all: [ok, { tcp: { host: '127.0.0.1', port } }] }), true);
    assert.equal(await probeOnce({ all: [ok, { tcp: { host: '127.0.0.1', port: closed } }] }), false);
  } finally {
    server.close();
  }
});
