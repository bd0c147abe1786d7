/** An HTTP/2 upstream refusing a stream (RST_STREAM REFUSED_STREAM) is retriable by `refused-stream`. */
import assert from 'node:assert/strict';
import { constants, createServer, type Http2Server, type ServerHttp2Stream } from 'node:http2';
import { after, before, describe, test } from 'node:test';
import { buildBootstrap, send, startProxy, staticCluster, type TestProxy } from '../test-support/harness.js';

describe('refused streams', () => {
  let up: Http2Server;
  let px: TestProxy;
  let streams = 0;

  before(async () => {
    up = createServer();
    up.on('stream', (stream: ServerHttp2Stream) => {
      stream.on('error', () => {});
      // Every odd stream is refused before any processing, as a server shedding load does.
      if (++streams % 2 === 1) stream.close(constants.NGHTTP2_REFUSED_STREAM);
      else {
        stream.respond({ ':status': 200 });
        stream.end('served');
      }
    });
    await new Promise<void>((r) => up.listen(0, '127.0.0.1', r));
    const port = (up.address() as { port: number }).port;
    px = await startProxy(
      buildBootstrap({
        routes: [
          {
            match: { prefix: '/retry' },
            route: { cluster: 'h2', retry_policy: { retry_on: 'refused-stream' } },
          },
          { match: { prefix: '/' }, route: { cluster: 'h2' } },
        ],
        clusters: [staticCluster('h2', [port], { http2_protocol_options: {} })],
      }),
    );
  });
  after(async () => {
    await px.close();
    up.close();
  });

  test('retry_on refused-stream retries a refused stream', async () => {
    streams = 0;
    const r = await send(px.port, { path: '/retry' });
    assert.equal(r.status, 200);
    assert.equal(r.body, 'served');
    assert.equal(px.log.entries.at(-1)?.attempts, 2);
  });

  test('without the condition a refused stream is a 503', async () => {
    streams = 0;
    const r = await send(px.port, { path: '/plain' });
    assert.equal(r.status, 503);
  });
});
