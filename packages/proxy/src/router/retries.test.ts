import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, describe, test } from 'node:test';
import {
  buildBootstrap,
  rawExchange,
  send,
  sleep,
  startProxy,
  startUpstream,
  staticCluster,
} from '../test-support/harness.js';

/** A port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('retries', () => {
  const cleanups: Array<() => Promise<void>> = [];
  after(async () => {
    for (const c of cleanups) await c();
  });

  test('a 503 is retried under retry_on 5xx and the client sees the retry succeed', async () => {
    let calls = 0;
    const up = await startUpstream((_req, res) => {
      calls++;
      res.writeHead(calls === 1 ? 503 : 200);
      res.end(calls === 1 ? 'busy' : 'ok');
    });
    const px = await startProxy(
      buildBootstrap({
        routes: [
          {
            match: { prefix: '/' },
            route: {
              cluster: 'b',
              retry_policy: { retry_on: '5xx', num_retries: 2, retry_back_off: { base_interval: '0.001s' } },
            },
          },
        ],
        clusters: [staticCluster('b', [up.port])],
      }),
    );
    cleanups.push(px.close, up.close);
    const res = await send(px.port, { method: 'POST', body: 'payload' });
    assert.equal(res.status, 200);
    assert.equal(res.body, 'ok');
    assert.deepEqual(
      up.seen.map((s) => [s.headers['x-envoy-attempt-count'], s.body]),
      [
        ['1', 'payload'],
        ['2', 'payload'],
      ],
    );
    assert.equal(px.log.entries.at(-1)!.attempts, 2);
    assert.equal(
      px.proxy.store.stats.value('envoy_cluster_upstream_rq_retry', { envoy_cluster_name: 'b' }),
      1,
    );
  });

  test('when retries run out the last upstream response is returned with flag URX', async () => {
    const up = await startUpstream((_req, res) => {
      res.writeHead(503);
      res.end('down');
    });
    const px = await startProxy(
      buildBootstrap({
        routes: [
          {
            match: { prefix: '/' },
            route: {
              cluster: 'b',
              retry_policy: {
                retry_on: 'gateway-error',
                num_retries: 2,
                retry_back_off: { base_interval: '0.001s' },
              },
            },
          },
        ],
        clusters: [staticCluster('b', [up.port])],
      }),
    );
    cleanups.push(px.close, up.close);
    const res = await send(px.port);
    assert.equal(res.status, 503);
    assert.equal(res.body, 'down');
    assert.equal(up.seen.length, 3);
    assert.equal(px.log.entries.at(-1)!.response_flags, 'URX');
  });

  test('retriable-status-codes retries only the listed codes', async () => {
    const up = await startUpstream((_req, res, _b, seen) => {
      res.writeHead(seen.length === 1 ? 409 : 418);
      res.end();
    });
    const px = await startProxy(
      buildBootstrap({
        routes: [
          {
            match: { prefix: '/' },
            route: {
              cluster: 'b',
              retry_policy: {
                retry_on: 'retriable-status-codes',
                retriable_status_codes: [409],
                num_retries: 3,
                retry_back_off: { base_interval: '0.001s' },
              },
            },
          },
        ],
        clusters: [staticCluster('b', [up.port])],
      }),
    );
    cleanups.push(px.close, up.close);
    const res = await send(px.port);
    assert.equal(res.status, 418);
    assert.equal(up.seen.length, 2);
  });

  test('connection failure gives 503 UF; with retry_on connect-failure the next host serves it', async () => {
    const dead = await closedPort();
    const up = await startUpstream();
    const px = await startProxy(
      buildBootstrap({
        routes: [
          { match: { prefix: '/noretry' }, route: { cluster: 'dead' } },
          {
            match: { prefix: '/' },
            route: {
              cluster: 'mixed',
              retry_policy: {
                retry_on: 'connect-failure',
                num_retries: 2,
                retry_back_off: { base_interval: '0.001s' },
              },
            },
          },
        ],
        clusters: [
          staticCluster('dead', [dead]),
          staticCluster('mixed', [dead, up.port], { lb_policy: 'ROUND_ROBIN' }),
        ],
      }),
    );
    cleanups.push(px.close, up.close);
    const res = await send(px.port, { path: '/noretry' });
    assert.equal(res.status, 503);
    assert.match(res.body, /connection failure/);
    assert.equal(px.log.entries.at(-1)!.response_flags, 'UF');
    for (let i = 0; i < 4; i++) {
      const ok = await send(px.port, { path: '/r' });
      assert.equal(ok.status, 200);
    }
  });

  test('a pooled connection closed by the upstream between requests is replaced without failing the request', async () => {
    const up = await startUpstream((_req, res) => {
      res.writeHead(200, { 'content-length': '2' });
      res.end('ok');
    });
    up.server.keepAliveTimeout = 50;
    const px = await startProxy(
      buildBootstrap({
        routes: [{ match: { prefix: '/' }, route: { cluster: 'b' } }],
        clusters: [staticCluster('b', [up.port])],
      }),
    );
    cleanups.push(px.close, up.close);
    for (let i = 0; i < 5; i++) {
      const res = await send(px.port, { method: 'POST', body: 'x' });
      assert.equal(res.status, 200);
      await sleep(60 + (i % 2) * 5);
    }
    assert.equal(up.seen.length, 5);
  });

  test('the cluster max_requests_per_connection retires an upstream connection after that many requests', async () => {
    const sockets = new Set<unknown>();
    const up = await startUpstream((req, res) => {
      sockets.add(req.socket);
      res.end('ok');
    });
    const px = await startProxy(
      buildBootstrap({
        routes: [{ match: { prefix: '/' }, route: { cluster: 'b' } }],
        clusters: [
          staticCluster('b', [up.port], {
            typed_extension_protocol_options: {
              'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
                '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
                explicit_http_config: { http_protocol_options: {} },
                common_http_protocol_options: { max_requests_per_connection: 2 },
              },
            },
          }),
        ],
      }),
    );
    cleanups.push(px.close, up.close);
    for (let i = 0; i < 5; i++) assert.equal((await send(px.port)).status, 200);
    assert.equal(sockets.size, 3);
  });

  test('upstream connections are kept alive and reused', async () => {
    const sockets = new Set<unknown>();
    const up = await startUpstream((req, res) => {
      sockets.add(req.socket);
      res.end('ok');
    });
    const px = await startProxy(
      buildBootstrap({
        routes: [{ match: { prefix: '/' }, route: { cluster: 'b' } }],
        clusters: [staticCluster('b', [up.port])],
      }),
    );
    cleanups.push(px.close, up.close);
    for (let i = 0; i < 5; i++) assert.equal((await send(px.port)).status, 200);
    assert.equal(sockets.size, 1);
  });
});

describe('timeouts', () => {
  const cleanups: Array<() => Promise<void>> = [];
  after(async () => {
    for (const c of cleanups) await c();
  });

  test('the route timeout answers 504 with flag UT', async () => {
    const up = await startUpstream((_req, res) => {
      setTimeout(() => res.end('late'), 400);
    });
    const px = await startProxy(
      buildBootstrap({
        routes: [{ match: { prefix: '/' }, route: { cluster: 'b', timeout: '0.1s' } }],
        clusters: [staticCluster('b', [up.port])],
      }),
    );
    cleanups.push(px.close, up.close);
    const res = await send(px.port);
    assert.equal(res.status, 504);
    assert.equal(res.body, 'upstream request timeout');
    assert.equal(px.log.entries.at(-1)!.response_flags, 'UT');
  });

  test('a per-try timeout retries and the second attempt answers', async () => {
    const up = await startUpstream((_req, res, _b, seen) => {
      if (seen.length === 1) setTimeout(() => res.end('slow'), 500);
      else res.end('fast');
    });
    const px = await startProxy(
      buildBootstrap({
        routes: [
          {
            match: { prefix: '/' },
            route: {
              cluster: 'b',
              timeout: '2s',
              retry_policy: {
                retry_on: '5xx',
                num_retries: 1,
                per_try_timeout: '0.1s',
                retry_back_off: { base_interval: '0.001s' },
              },
            },
          },
        ],
        clusters: [staticCluster('b', [up.port])],
      }),
    );
    cleanups.push(px.close, up.close);
    const res = await send(px.port);
    assert.equal(res.status, 200);
    assert.equal(res.body, 'fast');
  });

  test('hedge_on_per_try_timeout races a second attempt and the first response wins', async () => {
    const up = await startUpstream((_req, res, _b, seen) => {
      const n = seen.length;
      setTimeout(() => res.end(`attempt ${n}`), n === 1 ? 300 : 10);
    });
    const px = await startProxy(
      buildBootstrap({
        routes: [
          {
            match: { prefix: '/' },
            route: {
              cluster: 'b',
              timeout: '2s',
              hedge_policy: { hedge_on_per_try_timeout: true },
              retry_policy: { retry_on: '5xx', num_retries: 1, per_try_timeout: '0.05s' },
            },
          },
        ],
        clusters: [staticCluster('b', [up.port])],
      }),
    );
    cleanups.push(px.close, up.close);
    const res = await send(px.port);
    assert.equal(res.body, 'attempt 2');
    assert.deepEqual(
      up.seen.map((s) => s.headers['x-envoy-attempt-count']),
      ['1', '2'],
    );
    assert.equal(px.log.entries.at(-1)!.attempts, 2);
  });

  test('route idle_timeout answers 408 with flag SI when nothing moves', async () => {
    const up = await startUpstream((_req, res) => {
      setTimeout(() => res.end('late'), 400);
    });
    const px = await startProxy(
      buildBootstrap({
        routes: [{ match: { prefix: '/' }, route: { cluster: 'b', idle_timeout: '0.1s' } }],
        clusters: [staticCluster('b', [up.port])],
      }),
    );
    cleanups.push(px.close, up.close);
    const res = await send(px.port);
    assert.equal(res.status, 408);
    assert.equal(px.log.entries.at(-1)!.response_flags, 'SI');
  });

  test('request_timeout answers 408 when the request body does not arrive in time', async () => {
    const up = await startUpstream();
    const px = await startProxy(
      buildBootstrap({
        hcm: { request_timeout: '0.1s' },
        routes: [{ match: { prefix: '/' }, route: { cluster: 'b' } }],
        clusters: [staticCluster('b', [up.port])],
      }),
    );
    cleanups.push(px.close, up.close);
    const raw = await rawExchange(
      px.port,
      'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc',
      600,
    );
    assert.match(raw, /^HTTP\/1.1 408 /);
  });

  test('a client that goes away mid-request is logged DC and its upstream request is abandoned', async () => {
    let upstreamSawClose = false;
    const up = await startUpstream((req, res) => {
      req.socket.once('close', () => {
        upstreamSawClose = true;
      });
      setTimeout(() => res.end('too late'), 400);
    });
    const px = await startProxy(
      buildBootstrap({
        routes: [{ match: { prefix: '/' }, route: { cluster: 'b' } }],
        clusters: [staticCluster('b', [up.port])],
      }),
    );
    cleanups.push(px.close, up.close);
    await rawExchange(px.port, 'GET /slow HTTP/1.1\r\nHost: a\r\n\r\n', 80);
    for (let i = 0; i < 50 && px.log.entries.length === 0; i++) await sleep(10);
    assert.equal(px.log.entries.at(-1)!.response_flags, 'DC');
    for (let i = 0; i < 50 && !upstreamSawClose; i++) await sleep(10);
    assert.ok(upstreamSawClose, 'the upstream connection of the abandoned request was closed');
  });

  test('an upstream that dies mid-response resets the downstream connection', async () => {
    const up = await startUpstream((_req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('partial');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    const px = await startProxy(
      buildBootstrap({
        routes: [{ match: { prefix: '/' }, route: { cluster: 'b' } }],
        clusters: [staticCluster('b', [up.port])],
      }),
    );
    cleanups.push(px.close, up.close);
    await assert.rejects(send(px.port));
    await sleep(20);
    assert.equal(px.log.entries.at(-1)!.response_flags, 'UR');
    assert.equal(px.proxy.store.listenerList()[0].connectionCount, 0);
  });
});
