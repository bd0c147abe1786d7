import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { type ConnectionOptions, connect, type TLSSocket } from 'node:tls';
import { compileDownstreamTransportSocket, type DownstreamTlsConfig } from './downstream-tls-context.js';
import { createTestCa, inlineCertificate, type TestCa, type TestCert } from './test-support/certs.js';
import { type TlsRejection, type TlsSession, TlsTerminator } from './tls-terminator.js';
import { DOWNSTREAM_TLS_TYPE } from './transport-socket.js';

function context(cert: TestCert, extra: Record<string, unknown> = {}, common: Record<string, unknown> = {}) {
  return compileDownstreamTransportSocket(
    {
      name: 'envoy.transport_sockets.tls',
      typed_config: {
        '@type': DOWNSTREAM_TLS_TYPE,
        common_tls_context: { tls_certificates: [inlineCertificate(cert)], ...common },
        ...extra,
      },
    },
    'filter_chains[0].transport_socket',
  ) as DownstreamTlsConfig;
}

describe('TLS termination', () => {
  let ca: TestCa;
  let otherCa: TestCa;
  let server: Server;
  let port: number;
  const sessions: TlsSession<string>[] = [];
  const rejections: TlsRejection[] = [];

  before(async () => {
    ca = createTestCa('mesh-test-ca');
    otherCa = createTestCa('other-ca');
    const api = ca.issue('api', ['DNS:api.example.com']);
    const wild = ca.issue('wild', ['DNS:*.shop.example.com']);
    const dflt = ca.issue('default', ['DNS:default.example.com']);
    const mtlsCert = ca.issue('mtls', ['DNS:mtls.example.com']);
    const shopOnly = {
      validation_context: {
        trusted_ca: { inline_string: ca.cert },
        match_typed_subject_alt_names: [
          { san_type: 'URI', matcher: { prefix: 'spiffe://cluster.local/ns/shop/' } },
        ],
      },
    };
    const validation = { validation_context: { trusted_ca: { inline_string: ca.cert } } };
    const terminator = new TlsTerminator<string>(
      [
        {
          serverNames: ['api.example.com'],
          tls: context(api, {}, { alpn_protocols: ['h2', 'http/1.1'] }),
          value: 'api',
        },
        { serverNames: ['*.shop.example.com'], tls: context(wild), value: 'shop' },
        {
          serverNames: ['mtls.example.com'],
          tls: context(mtlsCert, { require_client_certificate: true }, validation),
          value: 'mtls',
        },
        {
          serverNames: ['modern.example.com'],
          tls: context(
            ca.issue('modern', ['DNS:modern.example.com']),
            {},
            {
              tls_params: { tls_minimum_protocol_version: 'TLSv1_3' },
            },
          ),
          value: 'modern',
        },
        {
          serverNames: ['shop-only.example.com'],
          tls: context(
            ca.issue('shop-only', ['DNS:shop-only.example.com']),
            { require_client_certificate: true },
            shopOnly,
          ),
          value: 'shop-only',
        },
        { serverNames: [], tls: context(dflt, {}, { alpn_protocols: ['http/1.1'] }), value: 'default' },
      ],
      'filter_chains',
      (s) => {
        sessions.push(s);
        s.socket.end(`${s.chain} ${s.alpn || '-'} ${s.peer?.uriSans.join(',') ?? 'anon'}`);
      },
      { onReject: (why) => rejections.push(why) },
    );
    server = createServer((socket) => terminator.accept(socket));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as { port: number }).port;
  });
  after(() => server.close());

  async function exchange(opts: ConnectionOptions): Promise<{ body: string; socket: TLSSocket }> {
    const socket = connect({ host: '127.0.0.1', port, ca: ca.cert, ...opts });
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    await once(socket, 'end');
    return { body: Buffer.concat(chunks).toString(), socket };
  }

  test('an exact server name selects its filter chain and certificate', async () => {
    const { body, socket } = await exchange({ servername: 'api.example.com' });
    assert.equal(body, 'api - anon');
    assert.equal(socket.getPeerCertificate().subject.CN, 'api');
  });

  test('ALPN prefers the configured order: h2 when the client offers it', async () => {
    const { body } = await exchange({ servername: 'api.example.com', ALPNProtocols: ['http/1.1', 'h2'] });
    assert.equal(body, 'api h2 anon');
  });

  test('a chain without alpn_protocols does not abort a client offering ALPN: it falls back to http/1.1', async () => {
    const { body } = await exchange({
      servername: 'cart.shop.example.com',
      ALPNProtocols: ['h2', 'http/1.1'],
    });
    assert.equal(body, 'shop http/1.1 anon');
  });

  test('a wildcard server name matches deeper names; unknown names fall back to the default chain', async () => {
    assert.equal((await exchange({ servername: 'cart.shop.example.com' })).body, 'shop - anon');
    const deep = await exchange({ servername: 'a.b.shop.example.com', checkServerIdentity: () => undefined });
    assert.equal(deep.body, 'shop - anon');
    const { body, socket } = await exchange({
      servername: 'unknown.example.com',
      checkServerIdentity: () => undefined,
    });
    assert.equal(body, 'default - anon');
    assert.equal(socket.getPeerCertificate().subject.CN, 'default');
  });

  test('a client without SNI gets the default chain', async () => {
    const { body } = await exchange({ checkServerIdentity: () => undefined });
    assert.equal(body, 'default - anon');
  });

  test('require_client_certificate closes connections without a client certificate', async () => {
    const before = rejections.length;
    const socket = connect({ host: '127.0.0.1', port, ca: ca.cert, servername: 'mtls.example.com' });
    socket.on('error', () => {});
    socket.on('data', () => assert.fail('no data may flow without a client certificate'));
    await once(socket, 'close');
    assert.equal(rejections[before], 'no-client-cert');
  });

  test('mTLS: a client certificate from the trusted CA passes and its URI SAN reaches the chain', async () => {
    const client = ca.issue('cart', ['URI:spiffe://cluster.local/ns/shop/sa/cart']);
    const { body } = await exchange({ servername: 'mtls.example.com', cert: client.cert, key: client.key });
    assert.equal(body, 'mtls - spiffe://cluster.local/ns/shop/sa/cart');
    const last = sessions.at(-1);
    assert.equal(last?.peer?.verified, true);
    assert.deepEqual(last?.peer?.sans, [{ type: 'URI', value: 'spiffe://cluster.local/ns/shop/sa/cart' }]);
  });

  test('mTLS: a client certificate from another CA is refused', async () => {
    const before = rejections.length;
    const client = otherCa.issue('intruder', ['URI:spiffe://evil/sa/x']);
    const socket = connect({
      host: '127.0.0.1',
      port,
      ca: ca.cert,
      servername: 'mtls.example.com',
      cert: client.cert,
      key: client.key,
    });
    socket.on('error', () => {});
    socket.on('data', () => assert.fail('no data may flow with an untrusted client certificate'));
    await once(socket, 'close');
    assert.equal(rejections[before], 'bad-client-cert');
  });

  test('match_typed_subject_alt_names admits only matching client identities', async () => {
    const cart = ca.issue('cart', ['URI:spiffe://cluster.local/ns/shop/sa/cart']);
    const ok = await exchange({ servername: 'shop-only.example.com', cert: cart.cert, key: cart.key });
    assert.equal(ok.body, 'shop-only - spiffe://cluster.local/ns/shop/sa/cart');
    const before = rejections.length;
    const billing = ca.issue('billing', ['URI:spiffe://cluster.local/ns/billing/sa/api']);
    const socket = connect({
      host: '127.0.0.1',
      port,
      ca: ca.cert,
      servername: 'shop-only.example.com',
      cert: billing.cert,
      key: billing.key,
    });
    socket.on('error', () => {});
    socket.on('data', () => assert.fail('no data may flow for a non-matching identity'));
    await once(socket, 'close');
    assert.equal(rejections[before], 'san-mismatch');
  });

  test('tls_params of the SNI-selected chain bound the protocol version', async () => {
    const ok = await exchange({ servername: 'modern.example.com' });
    assert.equal(ok.body, 'modern - anon');
    assert.equal(ok.socket.getProtocol(), 'TLSv1.3');
    const old = connect({
      host: '127.0.0.1',
      port,
      ca: ca.cert,
      servername: 'modern.example.com',
      maxVersion: 'TLSv1.2',
    });
    old.on('error', () => {});
    old.on('data', () => assert.fail('a TLS 1.2 client must not reach a TLS 1.3-only chain'));
    await new Promise((resolve) => old.on('close', resolve));
    const legacy = await exchange({ servername: 'api.example.com', maxVersion: 'TLSv1.2' });
    assert.equal(legacy.body, 'api - anon', 'other chains still accept TLS 1.2');
  });

  test('a plaintext client is dropped at the handshake without hurting the listener', async () => {
    const { connect: tcp } = await import('node:net');
    const raw = tcp(port, '127.0.0.1');
    raw.on('error', () => {});
    raw.write('GET / HTTP/1.1\r\nhost: x\r\n\r\n');
    await once(raw, 'close');
    assert.ok(rejections.includes('handshake'));
    assert.equal((await exchange({ servername: 'api.example.com' })).body, 'api - anon');
  });
});
