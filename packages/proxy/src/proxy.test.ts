import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  buildBootstrap,
  rawExchange,
  send,
  startProxy,
  startUpstream,
  staticCluster,
  type TestProxy,
  type Upstream,
} from './test-support/harness.js';

describe('proxy end to end over HTTP/1.1', () => {
  let up: Upstream;
  let px: TestProxy;
  before(async () => {
    up = await startUpstream();
    px = await startProxy(
      buildBootstrap({
        routes: [
          {
            match: { prefix: '/direct' },
            direct_response: { status: 200, body: { inline_string: 'hello' } },
          },
          { match: { prefix: '/' }, route: { cluster: 'backend' } },
        ],
        clusters: [staticCluster('backend', [up.port])],
      }),
    );
  });
  after(async () => {
    await px.close();
    await up.close();
  });

  test('a GET reaches the upstream and its response reaches the client', async () => {
    const res = await send(px.port, { path: '/a/b?x=1', headers: { 'user-agent': 'test-agent' } });
    assert.equal(res.status, 200);
    assert.equal(res.body, `upstream ${up.port}`);
    const seen = up.seen.at(-1)!;
    assert.equal(seen.url, '/a/b?x=1');
    assert.equal(seen.headers['x-envoy-attempt-count'], '1');
    assert.match(String(seen.headers['x-request-id']), /^[0-9a-f-]{36}$/);
    assert.equal(seen.headers['x-forwarded-proto'], 'http');
    assert.equal(seen.headers['x-envoy-expected-rq-timeout-ms'], '15000');
    assert.match(String(res.headers['x-envoy-upstream-service-time']), /^\d+$/);
    const entry = px.log.entries.at(-1)!;
    assert.equal(entry.response_code, 200);
    assert.equal(entry.upstream_cluster, 'backend');
    assert.equal(entry.upstream_host, `127.0.0.1:${up.port}`);
    assert.equal(entry.user_agent, 'test-agent');
  });

  test('a POST body with Content-Length and a chunked body both arrive intact', async () => {
    const res = await send(px.port, { method: 'POST', path: '/p', body: 'x'.repeat(100_000) });
    assert.equal(res.status, 200);
    assert.equal(up.seen.at(-1)!.body.length, 100_000);
    const raw = await rawExchange(
      px.port,
      'POST /chunked HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n',
    );
    assert.match(raw, /^HTTP\/1.1 200 OK/);
    assert.equal(up.seen.at(-1)!.body, 'hello world');
  });

  test('direct_response is answered by the proxy without an upstream', async () => {
    const before = up.seen.length;
    const res = await send(px.port, { path: '/direct' });
    assert.equal(res.status, 200);
    assert.equal(res.body, 'hello');
    assert.equal(up.seen.length, before);
  });

  test('pipelined requests are answered in order on one connection', async () => {
    const raw = await rawExchange(
      px.port,
      'GET /one HTTP/1.1\r\nHost: a\r\n\r\nGET /direct HTTP/1.1\r\nHost: a\r\n\r\nGET /three HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n',
    );
    const statuses = raw.match(/HTTP\/1.1 \d{3}/g);
    assert.deepEqual(statuses, ['HTTP/1.1 200', 'HTTP/1.1 200', 'HTTP/1.1 200']);
    const iHello = raw.indexOf('hello');
    assert.ok(iHello > raw.indexOf('HTTP/1.1 200') && iHello < raw.lastIndexOf('HTTP/1.1 200'));
    assert.deepEqual(
      up.seen.slice(-2).map((s) => s.url),
      ['/one', '/three'],
    );
  });

  test('keep-alive: several requests reuse one downstream connection', async () => {
    const raw = await rawExchange(px.port, 'GET /k1 HTTP/1.1\r\nHost: a\r\n\r\n', 300);
    assert.match(raw, /^HTTP\/1.1 200 OK\r\n/);
    assert.doesNotMatch(raw, /connection: close/i);
  });
});

describe('request hooks (where tracing attaches)', () => {
  test('a hook sees every request start and end and can add headers the upstream receives', async () => {
    const up = await startUpstream();
    const seen: string[] = [];
    const px = await startProxy(
      buildBootstrap({
        routes: [{ match: { prefix: '/' }, route: { cluster: 'b' } }],
        clusters: [staticCluster('b', [up.port])],
      }),
      {
        hooks: [
          {
            onRequestStart: (s) => {
              seen.push(`start ${s.method} ${s.path}`);
              s.requestHeaders.push('traceparent', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
            },
            onRequestEnd: (s) => seen.push(`end ${s.responseCode} ${s.upstreamCluster}`),
          },
        ],
      },
    );
    try {
      assert.equal((await send(px.port, { path: '/traced' })).status, 200);
      assert.deepEqual(seen, ['start GET /traced', 'end 200 b']);
      assert.equal(
        up.seen.at(-1)!.headers.traceparent,
        '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      );
    } finally {
      await px.close();
      await up.close();
    }
  });
});
