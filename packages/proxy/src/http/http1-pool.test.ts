import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { buildBootstrap, send, startProxy, startUpstream, staticCluster } from '../test-support/harness.js';

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups) await c();
});

test('a reused upstream connection does not gain a listener per request', async () => {
  const up = await startUpstream();
  const px = await startProxy(
    buildBootstrap({
      routes: [{ match: { prefix: '/' }, route: { cluster: 'up' } }],
      clusters: [staticCluster('up', [up.port])],
    }),
  );
  cleanups.push(px.close, up.close);
  let upstreamConnections = 0;
  up.server.on('connection', () => upstreamConnections++);
  const warnings: Error[] = [];
  const onWarning = (w: Error) => warnings.push(w);
  process.on('warning', onWarning);
  try {
    for (let i = 0; i < 15; i++) assert.equal((await send(px.port)).status, 200);
    await new Promise((r) => setImmediate(r));
  } finally {
    process.off('warning', onWarning);
  }
  assert.equal(upstreamConnections, 1, 'every request reused the one connection');
  assert.deepEqual(
    warnings.filter((w) => w.name === 'MaxListenersExceededWarning').map((w) => w.message),
    [],
  );
});

test("an idle pooled connection is closed after the cluster's common_http_protocol_options.idle_timeout", async () => {
  const up = await startUpstream();
  const idleCluster = (name: string, idleTimeout: string) =>
    staticCluster(name, [up.port], {
      typed_extension_protocol_options: {
        'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
          '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
          common_http_protocol_options: { idle_timeout: idleTimeout },
          explicit_http_config: { http_protocol_options: {} },
        },
      },
    });
  const px = await startProxy(
    buildBootstrap({
      routes: [
        { match: { prefix: '/short' }, route: { cluster: 'short' } },
        { match: { prefix: '/' }, route: { cluster: 'long' } },
      ],
      clusters: [idleCluster('short', '0.15s'), idleCluster('long', '60s')],
    }),
  );
  cleanups.push(px.close, up.close);
  const closedAt: Record<string, number> = {};
  const started = Date.now();
  up.server.on('connection', (socket) => {
    socket.once('data', (d: Buffer) => {
      const path = d.toString('latin1').split(' ')[1];
      socket.once('close', () => {
        closedAt[path] = Date.now() - started;
      });
    });
  });
  assert.equal((await send(px.port, { path: '/short' })).status, 200);
  assert.equal((await send(px.port, { path: '/long' })).status, 200);
  await new Promise((r) => setTimeout(r, 500));
  // The short cluster's connection went after its idle timeout; the other one is still pooled.
  assert.ok(closedAt['/short'] !== undefined && closedAt['/short'] >= 140, `closed at ${closedAt['/short']}`);
  assert.equal(closedAt['/long'], undefined);
  // The next request opens a new connection rather than using the closed one.
  assert.equal((await send(px.port, { path: '/short' })).status, 200);
});
