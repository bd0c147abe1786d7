import assert from 'node:assert/strict';
import { connect as http2Connect } from 'node:http2';
import { request as httpsRequest } from 'node:https';
import { createServer, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { type TLSSocket, connect as tlsConnect } from 'node:tls';
import { inspectClientHello } from '../listener/tls-inspector.js';
import {
  buildBootstrap,
  send,
  startProxy,
  startUpstream,
  staticCluster,
  type TestProxy,
  type Upstream,
} from '../test-support/harness.js';
import { createTestCa, inlineCertificate, type TestCa } from '../tls/test-support/certs.js';
import {
  client,
  type EchoUpstream,
  startEcho,
  tcpBootstrap,
  tcpFilter,
  until,
} from './test-support/tcp-harness.js';

const TLS_INSPECTOR = {
  name: 'envoy.filters.listener.tls_inspector',
  typed_config: {
    '@type': 'type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector',
  },
};

/** The HTTP connection manager filter of the harness bootstrap, routing everything to `http`. */
function httpFilters(): unknown[] {
  const b = buildBootstrap({
    routes: [{ match: { prefix: '/' }, route: { cluster: 'http' } }],
    clusters: [],
  }) as {
    static_resources: { listeners: Array<{ filter_chains: Array<{ filters: unknown[] }> }> };
  };
  return b.static_resources.listeners[0]!.filter_chains[0]!.filters;
}

/** A TLS client of the proxy; resolves once the handshake (with the real backend) is done. */
function tlsClient(
  port: number,
  servername: string,
  ca: TestCa,
): Promise<{ socket: TLSSocket; data: () => string }> {
  return new Promise((resolve, reject) => {
    let data = '';
    const socket = tlsConnect({ host: '127.0.0.1', port, servername, ca: ca.cert }, () =>
      resolve({ socket, data: () => data }),
    );
    socket.on('data', (d: Buffer) => {
      data += d.toString();
    });
    socket.on('error', reject);
  });
}

/** A raw upstream recording every byte it receives. */
async function startRecorder(): Promise<{ port: number; bytes: () => Buffer; close: () => Promise<void> }> {
  const chunks: Buffer[] = [];
  const sockets: Socket[] = [];
  const server = createServer((s) => {
    sockets.push(s);
    s.on('data', (d: Buffer) => chunks.push(d));
    s.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as { port: number }).port,
    bytes: () => Buffer.concat(chunks),
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

describe('TLS passthrough by SNI next to plaintext HTTP on one listener', () => {
  let ca: TestCa;
  let a: EchoUpstream;
  let b: EchoUpstream;
  let plain: EchoUpstream;
  let http: Upstream;
  let recorder: Awaited<ReturnType<typeof startRecorder>>;
  let px: TestProxy;

  before(async () => {
    ca = createTestCa('passthrough-ca');
    a = await startEcho('A:', ca.issue('backend-a', ['DNS:a.example.com']));
    b = await startEcho('B:', ca.issue('backend-b', ['DNS:*.example.com']));
    plain = await startEcho('T:');
    http = await startUpstream();
    recorder = await startRecorder();
    const proxyCert = ca.issue('proxy', ['DNS:term.example.com']);
    px = await startProxy(
      tcpBootstrap(
        [
          {
            filter_chain_match: { server_names: ['a.example.com'], transport_protocol: 'tls' },
            filters: [tcpFilter({ stat_prefix: 'pass_a', cluster: 'a' })],
          },
          {
            filter_chain_match: { server_names: ['*.example.com'], transport_protocol: 'tls' },
            filters: [tcpFilter({ stat_prefix: 'pass_wild', cluster: 'b' })],
          },
          {
            filter_chain_match: { server_names: ['split.example.com'] },
            filters: [tcpFilter({ cluster: 'recorder' })],
          },
          {
            filter_chain_match: { server_names: ['term.example.com'] },
            transport_socket: {
              name: 'envoy.transport_sockets.tls',
              typed_config: {
                '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext',
                common_tls_context: { tls_certificates: [inlineCertificate(proxyCert)] },
              },
            },
            filters: [tcpFilter({ stat_prefix: 'terminated', cluster: 'plain' })],
          },
          {
            filter_chain_match: { server_names: ['web.example.com'] },
            transport_socket: {
              name: 'envoy.transport_sockets.tls',
              typed_config: {
                '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext',
                common_tls_context: {
                  tls_certificates: [inlineCertificate(ca.issue('web', ['DNS:web.example.com']))],
                  alpn_protocols: ['h2', 'http/1.1'],
                },
              },
            },
            filters: httpFilters(),
          },
          { filters: httpFilters() },
        ],
        [
          staticCluster('a', [a.port]),
          staticCluster('b', [b.port]),
          staticCluster('plain', [plain.port]),
          staticCluster('http', [http.port]),
          staticCluster('recorder', [recorder.port]),
        ],
        { listener_filters: [TLS_INSPECTOR] },
      ),
    );
  });
  after(async () => {
    await px.close();
    await Promise.all([a.close(), b.close(), plain.close(), http.close(), recorder.close()]);
  });

  test('an exact server name reaches its backend, whose certificate the client verifies end to end', async () => {
    const c = await tlsClient(px.port, 'a.example.com', ca);
    assert.equal(c.socket.getPeerCertificate().subject.CN, 'backend-a');
    c.socket.write('ping');
    await until(() => c.data() === 'A:ping', 'echo from backend a');
    c.socket.destroy();
  });

  test('a wildcard server name reaches the wildcard chain', async () => {
    const c = await tlsClient(px.port, 'x.example.com', ca);
    assert.equal(c.socket.getPeerCertificate().subject.CN, 'backend-b');
    c.socket.write('pong');
    await until(() => c.data() === 'B:pong', 'echo from backend b');
    c.socket.destroy();
  });

  test('plaintext HTTP on the same port goes to the HTTP connection manager', async () => {
    const r = await send(px.port, { path: '/hello' });
    assert.equal(r.status, 200);
    assert.equal(http.seen.at(-1)?.url, '/hello');
  });

  test('HTTPS and h2c on the same listener reach the HTTP connection manager', async () => {
    const viaTls = await new Promise<number>((resolve, reject) => {
      const req = httpsRequest(
        {
          host: '127.0.0.1',
          port: px.port,
          servername: 'web.example.com',
          ca: ca.cert,
          path: '/tls',
          agent: false,
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end();
    });
    assert.equal(viaTls, 200);
    const session = http2Connect(`http://127.0.0.1:${px.port}`);
    session.on('error', () => {});
    const h2Status = await new Promise<number>((resolve, reject) => {
      const stream = session.request({ ':path': '/h2c' });
      stream.on('response', (h) => resolve(Number(h[':status'])));
      stream.on('error', reject);
      stream.resume();
      stream.end();
    });
    session.close();
    assert.equal(h2Status, 200);
    assert.deepEqual(
      http.seen.slice(-2).map((r) => r.url),
      ['/tls', '/h2c'],
    );
  });

  test('a chain with a transport_socket terminates TLS and proxies the plaintext', async () => {
    const c = await tlsClient(px.port, 'term.example.com', ca);
    assert.equal(c.socket.getPeerCertificate().subject.CN, 'proxy');
    c.socket.write('inside');
    await until(() => c.data() === 'T:inside', 'echo from the plaintext backend');
    c.socket.destroy();
  });

  test('a ClientHello arriving in pieces is passed through byte for byte', async () => {
    const hello = await captureHello('split.example.com');
    const c = client(px.port);
    await c.connected;
    c.socket.write(hello.subarray(0, 7));
    await new Promise((r) => setTimeout(r, 30));
    c.socket.write(hello.subarray(7));
    await until(() => recorder.bytes().length >= hello.length, 'the hello at the backend');
    assert.ok(recorder.bytes().equals(hello));
    c.socket.destroy();
  });

  test('passthrough connections are counted under their chain stat_prefix', async () => {
    const body = (await send(px.proxy.adminPort, { path: '/stats/prometheus' })).body;
    assert.match(body, /envoy_tcp_downstream_cx_total\{envoy_tcp_prefix="pass_a"\} [1-9]/);
    assert.match(body, /envoy_tcp_downstream_cx_total\{envoy_tcp_prefix="pass_wild"\} [1-9]/);
  });
});

describe('TLS passthrough without a default chain', () => {
  test('an unknown server name or plaintext matches no chain and is closed', async () => {
    const up = await startEcho('A:');
    const px = await startProxy(
      tcpBootstrap(
        [
          {
            filter_chain_match: { server_names: ['a.example.com'], transport_protocol: 'tls' },
            filters: [tcpFilter({ cluster: 'a' })],
          },
        ],
        [staticCluster('a', [up.port])],
        { listener_filters: [TLS_INSPECTOR] },
      ),
    );
    try {
      const plainClient = client(px.port);
      plainClient.socket.write('GET / HTTP/1.1\r\n\r\n');
      await until(() => plainClient.got.closed, 'plaintext closed');
      const hello = await captureHello('b.example.com');
      const other = client(px.port);
      other.socket.write(hello);
      await until(() => other.got.closed, 'unknown SNI closed');
      assert.equal(up.accepted.length, 0);
    } finally {
      await px.close();
      await up.close();
    }
  });
});

describe('default_filter_chain', () => {
  test('takes the connections no filter chain matches: unknown SNI and plaintext alike', async () => {
    const a = await startEcho('A:');
    const fallback = await startEcho('F:');
    const px = await startProxy(
      tcpBootstrap(
        [
          {
            filter_chain_match: { server_names: ['a.example.com'], transport_protocol: 'tls' },
            filters: [tcpFilter({ cluster: 'a' })],
          },
        ],
        [staticCluster('a', [a.port]), staticCluster('fallback', [fallback.port])],
        {
          listener_filters: [TLS_INSPECTOR],
          default_filter_chain: { filters: [tcpFilter({ stat_prefix: 'fallback', cluster: 'fallback' })] },
        },
      ),
    );
    try {
      const plainClient = client(px.port);
      plainClient.socket.write('plain');
      await until(() => plainClient.got.data === 'F:plain', 'plaintext on the default chain');
      plainClient.socket.destroy();
      const other = client(px.port);
      other.socket.write(await captureHello('b.example.com'));
      await until(() => other.got.data.startsWith('F:'), 'unknown SNI on the default chain');
      other.socket.destroy();
      const known = client(px.port);
      known.socket.write(await captureHello('a.example.com'));
      await until(() => known.got.data.startsWith('A:'), 'a.example.com on its chain');
      known.socket.destroy();
    } finally {
      await px.close();
      await a.close();
      await fallback.close();
    }
  });
});

/** The ClientHello a node TLS client sends for `servername`. */
async function captureHello(servername: string): Promise<Buffer> {
  const rec = await startRecorder();
  const c = tlsConnect({ host: '127.0.0.1', port: rec.port, servername, rejectUnauthorized: false });
  c.on('error', () => {});
  await until(() => inspectClientHello(rec.bytes()) !== null, 'a ClientHello');
  c.destroy();
  const hello = rec.bytes();
  await rec.close();
  return hello;
}
