/** Response trailers from HTTP/2 and HTTP/1.1 upstreams, delivered to HTTP/1.1 clients as chunked trailers. */
import assert from 'node:assert/strict';
import { createServer as createH2Server } from 'node:http2';
import { after, before, describe, test } from 'node:test';
import {
  buildBootstrap,
  rawExchange,
  startProxy,
  startUpstream,
  staticCluster,
  type TestProxy,
} from '../test-support/harness.js';

describe('response trailers on an HTTP/1.1 downstream', () => {
  const upstream = createH2Server();
  let px: TestProxy;
  before(async () => {
    upstream.on('stream', (stream) => {
      stream.respond({ ':status': 200, 'content-type': 'text/plain' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'x-checksum': 'abc123', 'x-rows': '2' }));
      stream.end('body');
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    const port = (upstream.address() as { port: number }).port;
    px = await startProxy(
      buildBootstrap({
        routes: [{ match: { prefix: '/' }, route: { cluster: 'h2' } }],
        clusters: [staticCluster('h2', [port], { http2_protocol_options: {} })],
      }),
    );
  });
  after(async () => {
    await px.close();
    await new Promise<void>((r) => upstream.close(() => r()));
  });

  const get = (te: string) =>
    rawExchange(px.port, `GET / HTTP/1.1\r\nHost: a\r\n${te}Connection: close\r\n\r\n`, 3000);

  test('with TE: trailers they follow the last chunk', async () => {
    const raw = await get('TE: trailers\r\n');
    assert.match(raw, /^HTTP\/1.1 200 /);
    assert.match(raw, /\r\ntransfer-encoding: chunked\r\n/);
    assert.ok(
      raw.endsWith('\r\n4\r\nbody\r\n0\r\nx-checksum: abc123\r\nx-rows: 2\r\n\r\n'),
      JSON.stringify(raw),
    );
  });

  test('TE is a list: "trailers" among other codings counts', async () => {
    const raw = await get('TE: deflate;q=0.5, trailers\r\n');
    assert.ok(raw.endsWith('0\r\nx-checksum: abc123\r\nx-rows: 2\r\n\r\n'), JSON.stringify(raw));
  });

  test('without TE: trailers they are dropped and the body ends with an empty last chunk', async () => {
    const raw = await get('');
    assert.ok(raw.endsWith('\r\n4\r\nbody\r\n0\r\n\r\n'), JSON.stringify(raw));
    assert.doesNotMatch(raw, /x-checksum/);
  });
});

test('trailers of a chunked HTTP/1.1 upstream response reach an HTTP/1.1 client that asked for them', async (t) => {
  const up = await startUpstream((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', trailer: 'x-checksum' });
    res.write('part');
    res.addTrailers({ 'X-Checksum': 'f00d', 'Content-Length': '99' });
    res.end();
  });
  const px = await startProxy(
    buildBootstrap({
      routes: [{ match: { prefix: '/' }, route: { cluster: 'h1' } }],
      clusters: [staticCluster('h1', [up.port])],
    }),
  );
  t.after(up.close);
  t.after(px.close);
  const raw = await rawExchange(
    px.port,
    'GET / HTTP/1.1\r\nHost: a\r\nTE: trailers\r\nConnection: close\r\n\r\n',
    3000,
  );
  // Framing fields never travel as trailers.
  assert.ok(raw.endsWith('\r\n4\r\npart\r\n0\r\nx-checksum: f00d\r\n\r\n'), JSON.stringify(raw));
});
