import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ProxyServer } from '../proxy.js';
import {
  buildBootstrap,
  rawExchange,
  send,
  sleep,
  startProxy,
  staticCluster,
  type TestProxy,
} from '../test-support/harness.js';
import { parseBootstrap } from '../xds/bootstrap.js';

/** A raw upstream that answers every request with the same bytes. */
async function rawUpstream(reply: (path: string) => string): Promise<{ port: number; server: Server }> {
  const server = createServer((s) => {
    let buf = '';
    s.on('data', (d) => {
      buf += d.toString('latin1');
      let end = buf.indexOf('\r\n\r\n');
      while (end >= 0) {
        const path = buf.slice(0, buf.indexOf('\r\n')).split(' ')[1];
        buf = buf.slice(end + 4);
        const bytes = reply(path);
        s.write(bytes);
        if (/connection: close/i.test(bytes)) s.end();
        end = buf.indexOf('\r\n\r\n');
      }
    });
    s.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as { port: number }).port, server };
}

describe('upstream responses the proxy must not trust', () => {
  let up: { port: number; server: Server };
  let px: TestProxy;
  before(async () => {
    up = await rawUpstream((path) => {
      switch (path) {
        case '/conflict':
          return 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n';
        case '/garbage':
          return 'SMTP ready\r\n\r\n';
        case '/badchunk':
          return 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n';
        case '/injected':
          return 'HTTP/1.1 200 OK\r\nX-A: a\rb\r\nContent-Length: 0\r\n\r\n';
        case '/close-delimited':
          return 'HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nbody until close';
        default:
          return 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok';
      }
    });
    px = await startProxy(
      buildBootstrap({
        hcm: { common_http_protocol_options: { max_requests_per_connection: 2 } },
        routes: [{ match: { prefix: '/' }, route: { cluster: 'raw' } }],
        clusters: [staticCluster('raw', [up.port])],
      }),
    );
  });
  after(async () => {
    await px.close();
    up.server.close();
  });

  for (const path of ['/conflict', '/garbage', '/injected']) {
    test(`an invalid response head (${path}) becomes 502 UPE`, async () => {
      const res = await send(px.port, { path });
      assert.equal(res.status, 502);
      assert.equal(px.log.entries.at(-1)!.response_flags, 'UPE');
    });
  }

  test('a bad chunk size after the head resets the downstream instead of passing garbage on', async () => {
    await assert.rejects(send(px.port, { path: '/badchunk' }));
  });

  test('a close-delimited response is forwarded whole', async () => {
    const res = await send(px.port, { path: '/close-delimited' });
    assert.equal(res.body, 'body until close');
  });

  test('max_requests_per_connection closes the downstream connection after the limit', async () => {
    const raw = await rawExchange(
      px.port,
      'GET /a HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\n\r\nGET /c HTTP/1.1\r\nHost: a\r\n\r\n',
    );
    assert.equal(raw.match(/HTTP\/1.1 200/g)?.length, 2);
    assert.match(raw, /connection: close/);
  });

  test('garbage after the HTTP/2 preface ends that connection only', async () => {
    const raw = await rawExchange(
      px.port,
      Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), Buffer.alloc(64, 0xff)]),
      500,
    );
    assert.ok(raw.length >= 0);
    assert.equal((await send(px.port)).status, 200);
  });
});

describe('file access log', () => {
  test('writes one JSON line per request with Envoy fields', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'access-log-'));
    const path = join(dir, 'access.log');
    const up = await rawUpstream(() => 'HTTP/1.1 204 No Content\r\n\r\n');
    const bootstrap = buildBootstrap({
      routes: [{ match: { prefix: '/' }, route: { cluster: 'raw' } }],
      clusters: [staticCluster('raw', [up.port])],
    }) as any;
    bootstrap.static_resources.listeners[0].filter_chains[0].filters[0].typed_config.access_log = [
      {
        name: 'file',
        typed_config: {
          '@type': 'type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog',
          path,
        },
      },
    ];
    const proxy = await ProxyServer.start(await parseBootstrap(JSON.stringify(bootstrap)));
    try {
      const port = proxy.listenerPort('main');
      const sock = connect(port, '127.0.0.1');
      sock.write(
        'GET /logged?x=1 HTTP/1.1\r\nHost: shop\r\nUser-Agent: ua/1\r\nX-Request-Id: rid-1\r\nConnection: close\r\n\r\n',
      );
      sock.resume();
      await new Promise((r) => sock.on('close', r));
      await proxy.close();
      await sleep(20);
      const line = JSON.parse(readFileSync(path, 'utf8').trim().split('\n').at(-1)!);
      assert.equal(line.method, 'GET');
      assert.equal(line.path, '/logged?x=1');
      assert.equal(line.response_code, 204);
      assert.equal(line.response_flags, '-');
      assert.equal(line.authority, 'shop');
      assert.equal(line.user_agent, 'ua/1');
      assert.equal(line.x_request_id, 'rid-1');
      assert.equal(line.upstream_cluster, 'raw');
      assert.equal(line.protocol, 'HTTP/1.1');
      assert.ok(typeof line.duration_ms === 'number' && line.start_time.endsWith('Z'));
    } finally {
      await proxy.close();
      up.server.close();
    }
  });
});
