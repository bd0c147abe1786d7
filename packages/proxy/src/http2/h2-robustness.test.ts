/**
 * Misbehaving HTTP/2 clients cannot take the proxy down: garbage after the connection preface,
 * a flood of opened-and-reset streams, header blocks above `max_request_headers_kb`, and more
 * streams than `max_concurrent_streams`. After each, the same listener still serves requests.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { type ClientHttp2Session, constants, connect as h2connect } from 'node:http2';
import { connect as tcpConnect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { buildBootstrap, startProxy, type TestProxy } from '../test-support/harness.js';

const PREFACE = 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n';

function get(
  session: ClientHttp2Session,
  path: string,
  extra: Record<string, string> = {},
): Promise<{ status: number; body: string; rst: number }> {
  return new Promise((resolve) => {
    const req = session.request({ ':path': path, ...extra });
    let status = 0;
    let body = '';
    req.on('response', (h) => {
      status = Number(h[':status']);
    });
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('error', () => {});
    req.on('close', () => resolve({ status, body, rst: req.rstCode ?? 0 }));
    req.end();
  });
}

describe('HTTP/2 robustness', () => {
  let px: TestProxy;
  const sessions: ClientHttp2Session[] = [];
  const open = () => {
    const s = h2connect(`http://127.0.0.1:${px.port}`);
    s.on('error', () => {});
    sessions.push(s);
    return s;
  };
  async function stillServes(): Promise<void> {
    const r = await get(open(), '/ok');
    assert.equal(r.status, 200);
    assert.equal(r.body, 'fine');
  }

  before(async () => {
    px = await startProxy(
      buildBootstrap({
        hcm: { max_request_headers_kb: 8, http2_protocol_options: { max_concurrent_streams: 4 } },
        routes: [
          { match: { prefix: '/' }, direct_response: { status: 200, body: { inline_string: 'fine' } } },
        ],
        clusters: [],
      }),
    );
  });
  after(async () => {
    for (const s of sessions) s.destroy();
    await px.close();
  });

  test('garbage after the preface closes that connection with GOAWAY; the listener lives on', async () => {
    const sock = tcpConnect(px.port, '127.0.0.1');
    sock.on('error', () => {});
    const got: Buffer[] = [];
    sock.on('data', (d: Buffer) => got.push(d));
    sock.write(PREFACE);
    sock.write(Buffer.from('\x00\x00\x04\x99\xff\x00\x00\x00\x01garbage-garbage-garbage', 'latin1'));
    sock.write(Buffer.alloc(4096, 0xfe));
    await once(sock, 'close');
    const bytes = Buffer.concat(got);
    let goaway = false;
    for (let i = 0; i + 9 <= bytes.length; i += 9 + bytes.readUIntBE(i, 3))
      if (bytes[i + 3] === 0x7) goaway = true;
    assert.ok(goaway, 'the proxy answered with a GOAWAY frame');
    await stillServes();
  });

  test('a flood of streams opened and reset at once does not hurt the proxy', async () => {
    const s = open();
    await once(s, 'connect');
    for (let i = 0; i < 500 && !s.destroyed; i++) {
      const req = s.request({ ':path': `/flood/${i}` });
      req.on('error', () => {});
      req.close(constants.NGHTTP2_CANCEL);
    }
    await new Promise((r) => setTimeout(r, 50));
    await stillServes();
  });

  test('a header block above max_request_headers_kb is refused without closing the session', async () => {
    const s = open();
    await once(s, 'remoteSettings');
    const big = await get(s, '/big', { 'x-big': 'a'.repeat(16 * 1024) });
    assert.equal(big.status, 0, 'no response head');
    assert.equal(big.rst, constants.NGHTTP2_ENHANCE_YOUR_CALM);
    const r = await get(s, '/ok');
    assert.equal(r.status, 200, 'the same session still works');
  });

  test('max_concurrent_streams is advertised and enforced per connection', async () => {
    const s = open();
    await once(s, 'remoteSettings');
    assert.equal(s.remoteSettings.maxConcurrentStreams, 4);
    const all = await Promise.all(Array.from({ length: 12 }, (_, i) => get(s, `/c/${i}`)));
    assert.equal(all.filter((r) => r.status === 200).length, 12, 'the client queues beyond the limit');
  });
});
