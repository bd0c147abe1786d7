import assert from 'node:assert/strict';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { describe, test } from 'node:test';
import {
  buildBootstrap,
  send,
  sleep,
  startProxy,
  startUpstream,
  staticCluster,
} from '../test-support/harness.js';

/** A raw upstream that answers an Upgrade with 101 and then echoes bytes upper-cased. */
async function startUpgradeEcho(): Promise<{ port: number; server: Server; heads: string[] }> {
  const heads: string[] = [];
  const server = createServer((s: Socket) => {
    let buf = '';
    let upgraded = false;
    s.on('data', (d) => {
      if (upgraded) {
        s.write(d.toString().toUpperCase());
        return;
      }
      buf += d.toString('latin1');
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      heads.push(buf.slice(0, end));
      upgraded = true;
      s.write(
        'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: x\r\n\r\nhello-from-upstream',
      );
      const rest = buf.slice(end + 4);
      if (rest) s.write(rest.toUpperCase());
    });
    s.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as { port: number }).port, server, heads };
}

describe('upgrade (WebSocket) pass-through', () => {
  test('after the 101 both directions are piped byte for byte', async () => {
    const up = await startUpgradeEcho();
    const px = await startProxy(
      buildBootstrap({
        hcm: { upgrade_configs: [{ upgrade_type: 'websocket' }] },
        routes: [{ match: { prefix: '/' }, route: { cluster: 'ws' } }],
        clusters: [staticCluster('ws', [up.port])],
      }),
    );
    try {
      const sock = connect(px.port, '127.0.0.1');
      let got = '';
      sock.on('data', (d) => {
        got += d.toString('latin1');
      });
      sock.write(
        'GET /chat HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: k\r\nSec-WebSocket-Version: 13\r\n\r\n',
      );
      for (let i = 0; i < 100 && !got.includes('hello-from-upstream'); i++) await sleep(5);
      assert.match(got, /^HTTP\/1.1 101 Switching Protocols\r\n/);
      assert.match(got, /upgrade: websocket/i);
      sock.write('ping');
      for (let i = 0; i < 100 && !got.includes('PING'); i++) await sleep(5);
      assert.ok(got.endsWith('PING'));
      assert.match(up.heads[0], /upgrade: websocket/i);
      assert.match(up.heads[0], /sec-websocket-key: k/i);
      sock.destroy();
    } finally {
      await px.close();
      up.server.close();
    }
  });
});

describe('drain', () => {
  test('drain finishes the in-flight request, refuses new connections and closes idle keep-alive ones', async () => {
    const up = await startUpstream((_q, res) => setTimeout(() => res.end('slow but served'), 150));
    const px = await startProxy(
      buildBootstrap({
        routes: [{ match: { prefix: '/' }, route: { cluster: 'b' } }],
        clusters: [staticCluster('b', [up.port])],
      }),
    );
    try {
      const idle = connect(px.port, '127.0.0.1');
      let idleClosed = false;
      idle.on('close', () => {
        idleClosed = true;
      });
      idle.on('error', () => {});
      await new Promise((r) => idle.once('connect', r));
      const inflight = send(px.port);
      await sleep(30);
      const drained = px.proxy.drain(2000);
      const res = await inflight;
      assert.equal(res.status, 200);
      assert.equal(res.body, 'slow but served');
      assert.match(res.headers.connection ?? '', /close/);
      await drained;
      assert.ok(idleClosed);
      await assert.rejects(send(px.port));
      const ready = await send(px.proxy.adminPort, { path: '/ready' });
      assert.equal(ready.status, 503);
      assert.equal(ready.body, 'DRAINING\n');
    } finally {
      await px.close();
      await up.close();
    }
  });
});
