/** Drain on an HTTP/2 connection: GOAWAY to the client, in-flight streams finish, then close. */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect as h2connect } from 'node:http2';
import { test } from 'node:test';
import { buildBootstrap, startProxy, startUpstream, staticCluster } from '../test-support/harness.js';

test('drain sends GOAWAY on HTTP/2 connections and lets the open stream finish', async () => {
  const up = await startUpstream((_req, res) => {
    setTimeout(() => res.end('slow but complete'), 100);
  });
  const px = await startProxy(
    buildBootstrap({
      routes: [{ match: { prefix: '/' }, route: { cluster: 'slow' } }],
      clusters: [staticCluster('slow', [up.port])],
    }),
  );
  const session = h2connect(`http://127.0.0.1:${px.port}`);
  session.on('error', () => {});
  try {
    const req = session.request({ ':path': '/in-flight' });
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    const status = new Promise<number>((resolve) => req.on('response', (h) => resolve(Number(h[':status']))));
    const ended = once(req, 'end');
    req.end();
    await once(up.server, 'request');
    const goaway = once(session, 'goaway');
    const drained = px.proxy.drain(2000);
    await goaway;
    assert.equal(await status, 200);
    await ended;
    assert.equal(body, 'slow but complete');
    await drained;
    assert.ok(session.closed || session.destroyed, 'the proxy closed the session after the stream');
  } finally {
    session.destroy();
    await px.close();
    await up.close();
  }
});
