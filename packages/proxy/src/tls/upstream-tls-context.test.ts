import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import { peerIdentity } from './peer-identity.js';
import { createTestCa, inlineCertificate, type TestCa } from './test-support/certs.js';
import { UPSTREAM_TLS_TYPE } from './transport-socket.js';
import {
  compileUpstreamTransportSocket,
  connectUpstreamTls,
  type UpstreamTlsConfig,
} from './upstream-tls-context.js';

function upstreamTls(body: Record<string, unknown>): UpstreamTlsConfig {
  const c = compileUpstreamTransportSocket(
    { name: 'envoy.transport_sockets.tls', typed_config: { '@type': UPSTREAM_TLS_TYPE, ...body } },
    'clusters[0].transport_socket',
  );
  assert.ok(c !== undefined);
  return c;
}

async function outcome(socket: TLSSocket): Promise<string> {
  const result = await new Promise<string>((resolve) => {
    socket.once('data', (d: Buffer) => resolve(`ok ${d.toString()}`));
    socket.once('error', (e: Error) => resolve(`error ${e.message}`));
  });
  socket.destroy();
  return result;
}

describe('upstream TLS origination', () => {
  let ca: TestCa;
  let server: Server;
  let port: number;
  const seen: { sni: string; alpn: string; client: string }[] = [];

  before(async () => {
    ca = createTestCa('upstream-ca');
    const cert = ca.issue('backend', [
      'DNS:backend.internal',
      'URI:spiffe://cluster.local/ns/shop/sa/backend',
    ]);
    server = createServer({
      cert: cert.cert,
      key: cert.key,
      ca: ca.cert,
      requestCert: true,
      rejectUnauthorized: false,
      ALPNProtocols: ['h2', 'http/1.1'],
    });
    server.on('secureConnection', (s: TLSSocket) => {
      const client = peerIdentity(s);
      seen.push({
        sni: typeof s.servername === 'string' ? s.servername : '',
        alpn: typeof s.alpnProtocol === 'string' ? s.alpnProtocol : '',
        client: client?.uriSans[0] ?? '',
      });
      s.end('hello');
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as { port: number }).port;
  });
  after(() => server.close());

  test('sends the configured SNI, the pool protocol as ALPN and the client certificate', async () => {
    const client = ca.issue('cart', ['URI:spiffe://cluster.local/ns/shop/sa/cart']);
    const tls = upstreamTls({
      sni: 'backend.internal',
      common_tls_context: {
        tls_certificates: [inlineCertificate(client)],
        validation_context: { trusted_ca: { inline_string: ca.cert } },
      },
    });
    assert.equal(await outcome(connectUpstreamTls(tls, '127.0.0.1', port, 'h2')), 'ok hello');
    assert.deepEqual(seen.at(-1), {
      sni: 'backend.internal',
      alpn: 'h2',
      client: 'spiffe://cluster.local/ns/shop/sa/cart',
    });
  });

  test('a second connection to the same host resumes the TLS session', async () => {
    const tls = upstreamTls({
      common_tls_context: { validation_context: { trusted_ca: { inline_string: ca.cert } } },
    });
    const first = connectUpstreamTls(tls, '127.0.0.1', port, 'h2');
    first.on('data', () => {});
    await once(first, 'end');
    first.destroy();
    const second = connectUpstreamTls(tls, '127.0.0.1', port, 'h2');
    await once(second, 'secureConnect');
    assert.equal(second.isSessionReused(), true);
    second.destroy();
  });

  test('max_session_keys 0 turns resumption off', async () => {
    const tls = upstreamTls({ max_session_keys: 0 });
    for (let i = 0; i < 2; i++) {
      const s = connectUpstreamTls(tls, '127.0.0.1', port, 'h2');
      await once(s, 'secureConnect');
      assert.equal(s.isSessionReused(), false);
      await new Promise((r) => setTimeout(r, 20)); // let a ticket arrive, were it kept
      s.destroy();
    }
  });

  test('without trusted_ca the server certificate is not verified (Envoy semantics)', async () => {
    const tls = upstreamTls({});
    assert.equal(await outcome(connectUpstreamTls(tls, '127.0.0.1', port, 'http/1.1')), 'ok hello');
    assert.equal(seen.at(-1)?.alpn, 'http/1.1');
  });

  test('a server certificate from another CA fails the connection', async () => {
    const other = createTestCa('other');
    const tls = upstreamTls({
      common_tls_context: { validation_context: { trusted_ca: { inline_string: other.cert } } },
    });
    const r = await outcome(connectUpstreamTls(tls, '127.0.0.1', port, 'h2'));
    assert.match(r, /^error /);
  });

  test('match_typed_subject_alt_names checks the server identity', async () => {
    const validation = (exact: string) =>
      upstreamTls({
        common_tls_context: {
          validation_context: {
            trusted_ca: { inline_string: ca.cert },
            match_typed_subject_alt_names: [{ san_type: 'URI', matcher: { exact } }],
          },
        },
      });
    const good = validation('spiffe://cluster.local/ns/shop/sa/backend');
    assert.equal(await outcome(connectUpstreamTls(good, '127.0.0.1', port, 'h2')), 'ok hello');
    const bad = validation('spiffe://cluster.local/ns/shop/sa/payments');
    assert.match(
      await outcome(connectUpstreamTls(bad, '127.0.0.1', port, 'h2')),
      /^error .*match_typed_subject_alt_names/,
    );
  });
});
