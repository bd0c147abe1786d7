import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import {
  buildBootstrap,
  rawExchange,
  send,
  sleep,
  startProxy,
  startUpstream,
  staticCluster,
  type TestProxy,
  type Upstream,
} from '../test-support/harness.js';

function fdCount(): number {
  return readdirSync('/proc/self/fd').length;
}

describe('downstream protocol errors and limits', () => {
  let up: Upstream;
  let px: TestProxy;
  before(async () => {
    up = await startUpstream();
    px = await startProxy(
      buildBootstrap({
        hcm: {
          max_request_headers_kb: 2,
          request_headers_timeout: '0.2s',
          common_http_protocol_options: { idle_timeout: '1s' },
        },
        routes: [{ match: { prefix: '/' }, route: { cluster: 'b' } }],
        clusters: [staticCluster('b', [up.port])],
      }),
    );
  });
  after(async () => {
    await px.close();
    await up.close();
  });

  test('a request head that trickles in slower than request_headers_timeout gets 408 and the connection closes', async () => {
    const raw = await rawExchange(px.port, 'GET / HTTP/1.1\r\nHost: a\r\nX-Slow: 1', 800);
    assert.match(raw, /^HTTP\/1.1 408 /);
  });

  const attacks: Array<[string, string, RegExp]> = [
    [
      'CL.TE smuggling',
      'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nG',
      /^HTTP\/1.1 400 /,
    ],
    [
      'TE.TE obfuscation',
      'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: x\r\n\r\n0\r\n\r\n',
      /^HTTP\/1.1 400 /,
    ],
    ['obs-fold', 'GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n', /^HTTP\/1.1 400 /],
    [
      'a bad chunk size',
      'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n',
      /^HTTP\/1.1 400 /,
    ],
    ['bare LF line endings', 'GET / HTTP/1.1\nHost: a\n\n', /^HTTP\/1.1 400 /],
    ['CRLF injection in a header value', 'GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n', /^HTTP\/1.1 400 /],
    [
      'an oversized header block',
      `GET / HTTP/1.1\r\nHost: a\r\nX: ${'a'.repeat(3000)}\r\n\r\n`,
      /^HTTP\/1.1 431 /,
    ],
  ];
  for (const [name, payload, want] of attacks) {
    test(`${name} is answered by the proxy and never reaches the upstream`, async () => {
      const before = up.seen.length;
      const raw = await rawExchange(px.port, payload);
      assert.match(raw, want);
      assert.equal(up.seen.length, before);
    });
  }

  test('an upgrade not enabled in upgrade_configs is refused with 403 and the bytes behind it are never parsed', async () => {
    const before = up.seen.length;
    const raw = await rawExchange(
      px.port,
      'GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n',
    );
    assert.match(raw, /^HTTP\/1.1 403 /);
    assert.match(raw, /connection: close/);
    assert.equal(raw.match(/HTTP\/1.1/g)?.length, 1);
    assert.equal(up.seen.length, before);
  });

  test('a flood of malformed, truncated and half-closed connections leaves the proxy serving and leaks no socket', async () => {
    const baseline = fdCount();
    const payloads = [
      'GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n',
      'GARBAGE\r\n\r\n',
      'GET / HTTP/1.1\r\nHo',
      'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc',
      'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab',
      '\u0000\u0001\u0002\r\n\r\n',
      'GET / HTTP/1.1\r\nHost: a\r\n\r\n',
    ];
    const clients: Promise<void>[] = [];
    for (let i = 0; i < 140; i++) {
      clients.push(
        new Promise<void>((resolve) => {
          const s = connect(px.port, '127.0.0.1');
          s.on('error', () => {});
          s.on('close', () => resolve());
          s.on('connect', () => {
            s.write(payloads[i % payloads.length]);
            // Half of them half-close, the rest vanish abruptly.
            if (i % 2 === 0) s.end();
            else setTimeout(() => s.destroy(), 5);
          });
          setTimeout(() => s.destroy(), 1500);
        }),
      );
    }
    await Promise.all(clients);
    const res = await send(px.port);
    assert.equal(res.status, 200);
    for (
      let i = 0;
      i < 100 && (fdCount() > baseline + 2 || px.proxy.store.listenerList()[0].connectionCount > 0);
      i++
    )
      await sleep(20);
    assert.equal(px.proxy.store.listenerList()[0].connectionCount, 0);
    assert.ok(fdCount() <= baseline + 2, `fds ${fdCount()} vs baseline ${baseline}`);
  });
});

describe('a bug at a connection boundary', () => {
  test('costs that connection only: the process keeps serving', async () => {
    const up = await startUpstream();
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    const px = await startProxy(
      buildBootstrap({
        routes: [{ match: { prefix: '/' }, route: { cluster: 'b' } }],
        clusters: [staticCluster('b', [up.port])],
      }),
      {
        hooks: [
          {
            onRequestStart: (s) => {
              if (s.path === '/boom') throw new Error('hook bug');
            },
          },
        ],
      },
    );
    try {
      await assert.rejects(send(px.port, { path: '/boom' }));
      assert.equal((await send(px.port, { path: '/fine' })).status, 200);
      await sleep(10);
      assert.ok(warnings.some((w) => w.includes('hook bug')));
    } finally {
      process.off('warning', onWarning);
      await px.close();
      await up.close();
    }
  });
});

describe('request body limit', () => {
  test('a Content-Length above the limit gets 413 before anything is forwarded', async () => {
    const up = await startUpstream();
    const px = await startProxy(
      buildBootstrap({
        routes: [{ match: { prefix: '/' }, route: { cluster: 'b' } }],
        clusters: [staticCluster('b', [up.port])],
      }),
    );
    try {
      const raw = await rawExchange(
        px.port,
        `POST / HTTP/1.1\r\nHost: a\r\nContent-Length: ${200 * 1024 * 1024}\r\n\r\n`,
      );
      assert.match(raw, /^HTTP\/1.1 413 /);
      assert.equal(up.seen.length, 0);
    } finally {
      await px.close();
      await up.close();
    }
  });
});
