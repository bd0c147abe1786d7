/**
 * The upstream HTTP/2 pool through a real proxy and a real node:http2 upstream: stream limits
 * open more sessions, GOAWAY and max_requests_per_connection move new requests to fresh
 * sessions, max_connections makes requests wait for a stream slot.
 */
import assert from 'node:assert/strict';
import { createServer, type Http2Server, type Http2Session, type ServerHttp2Stream } from 'node:http2';
import { after, describe, test } from 'node:test';
import { buildBootstrap, send, startProxy, staticCluster, type TestProxy } from '../test-support/harness.js';

interface H2Upstream {
  port: number;
  sessions: Set<Http2Session>;
  peak: number;
  server: Http2Server;
}

/**
 * An h2c upstream answering after `delayMs`; `goawayAfter` > 0 sends GOAWAY after that many streams
 * on a session. `holdUntil` holds every answer until that many streams are open at once (at most
 * 5 s), so a test of concurrency does not depend on how fast a loaded machine sends requests.
 */
async function startH2Upstream(
  opts: { delayMs?: number; maxStreams?: number; goawayAfter?: number; holdUntil?: number } = {},
): Promise<H2Upstream> {
  const server = createServer({ settings: { maxConcurrentStreams: opts.maxStreams ?? 100 } });
  const up: H2Upstream = { port: 0, sessions: new Set(), peak: 0, server };
  let inFlight = 0;
  const held: Array<() => void> = [];
  const served = new WeakMap<Http2Session, number>();
  server.on('session', (s: Http2Session) => up.sessions.add(s));
  server.on('stream', (stream: ServerHttp2Stream) => {
    inFlight++;
    up.peak = Math.max(up.peak, inFlight);
    const session = stream.session as Http2Session;
    const n = (served.get(session) ?? 0) + 1;
    served.set(session, n);
    stream.on('error', () => {});
    stream.resume();
    const answer = () =>
      setTimeout(() => {
        inFlight--;
        if (stream.destroyed) return;
        stream.respond({ ':status': 200 });
        stream.end(`session ${[...up.sessions].indexOf(session)}`);
        if (opts.goawayAfter !== undefined && n >= opts.goawayAfter) session.close(); // GOAWAY, then close
      }, opts.delayMs ?? 0);
    if (opts.holdUntil === undefined) answer();
    else {
      held.push(answer);
      if (inFlight >= opts.holdUntil) for (const release of held.splice(0)) release();
      else {
        setTimeout(() => {
          const waiting = held.indexOf(answer);
          if (waiting < 0) return;
          held.splice(waiting, 1);
          answer();
        }, 5000).unref();
      }
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  up.port = (server.address() as { port: number }).port;
  return up;
}

async function proxyTo(
  up: H2Upstream,
  http2: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): Promise<TestProxy> {
  return startProxy(
    buildBootstrap({
      routes: [{ match: { prefix: '/' }, route: { cluster: 'h2' } }],
      clusters: [staticCluster('h2', [up.port], { http2_protocol_options: http2, ...extra })],
    }),
  );
}

describe('HTTP/2 upstream pool', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  after(async () => {
    for (const c of cleanups.reverse()) await c();
  });
  const track = (px: TestProxy, up: H2Upstream) => {
    cleanups.push(
      () => {
        up.server.close();
      },
      () => px.close(),
    );
  };

  test('requests share one session while it has stream slots', async () => {
    const up = await startH2Upstream({ holdUntil: 6 });
    const px = await proxyTo(up, {});
    track(px, up);
    const all = await Promise.all(Array.from({ length: 6 }, () => send(px.port)));
    assert.deepEqual(new Set(all.map((r) => r.status)), new Set([200]));
    assert.equal(up.sessions.size, 1);
    assert.equal(up.peak, 6, 'multiplexed, not serialised');
  });

  test('the cluster max_concurrent_streams opens more sessions instead of queueing', async () => {
    const up = await startH2Upstream({ holdUntil: 5 });
    const px = await proxyTo(up, { max_concurrent_streams: 2 });
    track(px, up);
    const all = await Promise.all(Array.from({ length: 5 }, () => send(px.port)));
    assert.ok(all.every((r) => r.status === 200));
    assert.equal(up.sessions.size, 3);
    assert.equal(up.peak, 5);
  });

  test("the upstream's SETTINGS_MAX_CONCURRENT_STREAMS is honoured too", async () => {
    const up = await startH2Upstream({ delayMs: 50, maxStreams: 1 });
    const px = await proxyTo(up, {});
    track(px, up);
    await send(px.port); // learn the upstream's SETTINGS on a first session
    const all = await Promise.all(Array.from({ length: 3 }, () => send(px.port)));
    assert.ok(all.every((r) => r.status === 200));
    assert.equal(up.sessions.size, 3);
  });

  test('after GOAWAY new requests go to a fresh session', async () => {
    const up = await startH2Upstream({ goawayAfter: 1 });
    const px = await proxyTo(up, {});
    track(px, up);
    const bodies: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await send(px.port);
      assert.equal(r.status, 200);
      bodies.push(r.body);
    }
    assert.deepEqual(bodies, ['session 0', 'session 1', 'session 2']);
  });

  test('max_requests_per_connection retires a session after that many streams', async () => {
    const up = await startH2Upstream();
    const px = await startProxy(
      buildBootstrap({
        routes: [{ match: { prefix: '/' }, route: { cluster: 'h2' } }],
        clusters: [
          staticCluster('h2', [up.port], {
            typed_extension_protocol_options: {
              'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
                '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
                common_http_protocol_options: { max_requests_per_connection: 2 },
                explicit_http_config: { http2_protocol_options: {} },
              },
            },
          }),
        ],
      }),
    );
    track(px, up);
    for (let i = 0; i < 4; i++) assert.equal((await send(px.port)).status, 200);
    assert.equal(up.sessions.size, 2);
  });

  test('at max_connections requests wait for a stream slot instead of failing', async () => {
    const up = await startH2Upstream({ delayMs: 20 });
    const px = await proxyTo(
      up,
      { max_concurrent_streams: 1 },
      {
        circuit_breakers: { thresholds: [{ max_connections: 1 }] },
      },
    );
    track(px, up);
    const all = await Promise.all(Array.from({ length: 3 }, () => send(px.port)));
    assert.deepEqual(
      all.map((r) => r.status),
      [200, 200, 200],
    );
    assert.equal(up.sessions.size, 1);
    assert.equal(up.peak, 1);
  });

  test('an unreachable upstream is a connect failure (503 UF)', async () => {
    const up = await startH2Upstream();
    await new Promise<void>((r) => up.server.close(() => r()));
    const px = await proxyTo(up, {});
    cleanups.push(() => px.close());
    const r = await send(px.port);
    assert.equal(r.status, 503);
    assert.match(String(px.log.entries.at(-1)?.response_flags), /UF/);
  });
});
