/**
 * TLS origination through the proxy: clusters with an UpstreamTlsContext reach HTTPS (HTTP/1.1)
 * and h2-over-TLS upstreams with SNI, a client certificate and CA verification.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createSecureServer, type Http2SecureServer } from 'node:http2';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { after, before, describe, test } from 'node:test';
import type { TLSSocket } from 'node:tls';
import { buildBootstrap, send, startProxy, staticCluster, type TestProxy } from '../test-support/harness.js';
import { peerIdentity } from './peer-identity.js';
import { createTestCa, inlineCertificate, type TestCa } from './test-support/certs.js';
import { UPSTREAM_TLS_TYPE } from './transport-socket.js';

interface Seen {
  sni: string;
  client: string;
  scheme: string;
}

function record(socket: TLSSocket, scheme: string, seen: Seen[]): void {
  seen.push({
    sni: typeof socket.servername === 'string' ? socket.servername : '',
    client: peerIdentity(socket)?.uriSans[0] ?? '',
    scheme,
  });
}

describe('upstream TLS through the proxy', () => {
  let ca: TestCa;
  let h1: HttpsServer;
  let h2: Http2SecureServer;
  let px: TestProxy;
  const seen: Seen[] = [];

  before(async () => {
    ca = createTestCa('backend-ca');
    const serverCert = ca.issue('backend', ['DNS:backend.internal']);
    const serverOpts = {
      cert: serverCert.cert,
      key: serverCert.key,
      ca: ca.cert,
      requestCert: true,
      rejectUnauthorized: true,
    };
    h1 = createHttpsServer(serverOpts, (req, res) => {
      record(req.socket as TLSSocket, 'https', seen);
      res.end('h1 over tls');
    });
    h2 = createSecureServer(serverOpts, (req, res) => {
      record(req.socket as unknown as TLSSocket, String(req.headers[':scheme']), seen);
      res.end('h2 over tls');
    });
    for (const s of [h1, h2]) {
      s.listen(0, '127.0.0.1');
      await once(s, 'listening');
    }
    const client = ca.issue('proxy', ['URI:spiffe://cluster.local/ns/edge/sa/gateway']);
    const tls = (trustedCa: string) => ({
      transport_socket: {
        name: 'envoy.transport_sockets.tls',
        typed_config: {
          '@type': UPSTREAM_TLS_TYPE,
          sni: 'backend.internal',
          common_tls_context: {
            tls_certificates: [inlineCertificate(client)],
            validation_context: { trusted_ca: { inline_string: trustedCa } },
          },
        },
      },
    });
    const h2Options = {
      typed_extension_protocol_options: {
        'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
          '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
          explicit_http_config: { http2_protocol_options: {} },
        },
      },
    };
    const port = (s: { address(): unknown }) => (s.address() as { port: number }).port;
    px = await startProxy(
      buildBootstrap({
        routes: [
          { match: { prefix: '/h1' }, route: { cluster: 'h1' } },
          { match: { prefix: '/h2' }, route: { cluster: 'h2' } },
          { match: { prefix: '/untrusted' }, route: { cluster: 'untrusted' } },
        ],
        clusters: [
          staticCluster('h1', [port(h1)], tls(ca.cert)),
          staticCluster('h2', [port(h2)], { ...tls(ca.cert), ...h2Options }),
          staticCluster('untrusted', [port(h1)], tls(createTestCa('someone-else').cert)),
        ],
      }),
    );
  });
  after(async () => {
    await px.close();
    h1.close();
    h2.close();
  });

  test('an HTTP/1.1 cluster originates TLS with SNI and the client certificate', async () => {
    const r = await send(px.port, { path: '/h1' });
    assert.equal(r.status, 200);
    assert.equal(r.body, 'h1 over tls');
    assert.deepEqual(seen.at(-1), {
      sni: 'backend.internal',
      client: 'spiffe://cluster.local/ns/edge/sa/gateway',
      scheme: 'https',
    });
  });

  test('an HTTP/2 cluster speaks h2 over TLS (ALPN) with :scheme https', async () => {
    const r = await send(px.port, { path: '/h2' });
    assert.equal(r.status, 200);
    assert.equal(r.body, 'h2 over tls');
    assert.deepEqual(seen.at(-1), {
      sni: 'backend.internal',
      client: 'spiffe://cluster.local/ns/edge/sa/gateway',
      scheme: 'https',
    });
  });

  test('an upstream certificate the trusted CA did not sign is a connect failure (503 UF)', async () => {
    const before = seen.length;
    const r = await send(px.port, { path: '/untrusted' });
    assert.equal(r.status, 503);
    assert.equal(seen.length, before, 'no request reached the upstream');
    assert.match(String(px.log.entries.at(-1)?.response_flags), /UF/);
  });
});
