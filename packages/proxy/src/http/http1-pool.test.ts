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
