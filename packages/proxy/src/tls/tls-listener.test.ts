/**
 * TLS termination on a real proxy listener: SNI picks the filter chain (certificate and HTTP
 * connection manager), ALPN picks the codec (h2 or http/1.1), mTLS identities reach the request.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { connect as h2connect } from 'node:http2';
import { request as httpsRequest } from 'node:https';
import { after, before, describe, test } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import { MemoryAccessLog } from '../access-log/access-log.js';
import { ProxyConfigError } from '../errors.js';
import type { ActiveStream } from '../http/active-stream.js';
import { compileListener } from '../listener/listener-config.js';
import { ProxyServer } from '../proxy.js';
import {
  buildBootstrap,
  send,
  startUpstream,
  staticCluster,
  type Upstream,
} from '../test-support/harness.js';
import { parseBootstrap } from '../xds/bootstrap.js';
import { createTestCa, inlineCertificate, type TestCa, type TestCert } from './test-support/certs.js';
import { DOWNSTREAM_TLS_TYPE } from './transport-socket.js';

type Json = Record<string, unknown>;

function tlsSocket(cert: TestCert, extra: Json = {}, common: Json = {}): Json {
  return {
    name: 'envoy.transport_sockets.tls',
    typed_config: {
      '@type': DOWNSTREAM_TLS_TYPE,
      common_tls_context: {
        tls_certificates: [inlineCertificate(cert)],
        alpn_protocols: ['h2', 'http/1.1'],
        ...common,
      },
      ...extra,
    },
  };
}

/** The test bootstrap's single filter chain, cloned with `changes`. */
function chain(base: Json, changes: Json, hcm: Json = {}): Json {
  const c = structuredClone(base) as { filters: Array<{ typed_config: Json }> };
  Object.assign(c.filters[0]!.typed_config, hcm);
  return { ...c, ...changes };
}

describe('TLS listener', () => {
  let ca: TestCa;
  let client: TestCert;
  let up: Upstream;
  let proxy: ProxyServer;
  let port: number;
  const seen: Array<{ protocol: string; scheme: string; peer: string | null | undefined }> = [];

  before(async () => {
    ca = createTestCa('listener-ca');
    client = ca.issue('cart', ['URI:spiffe://cluster.local/ns/shop/sa/cart']);
    up = await startUpstream();
    const bootstrap = buildBootstrap({
      routes: [{ match: { prefix: '/' }, route: { cluster: 'app' } }],
      clusters: [staticCluster('app', [up.port])],
    }) as { static_resources: { listeners: Array<{ filter_chains: Json[]; listener_filters?: unknown }> } };
    const listener = bootstrap.static_resources.listeners[0]!;
    const base = listener.filter_chains[0]!;
    const validation = { validation_context: { trusted_ca: { inline_string: ca.cert } } };
    listener.listener_filters = [{ name: 'envoy.filters.listener.tls_inspector' }];
    listener.filter_chains = [
      chain(
        base,
        {
          filter_chain_match: { server_names: ['api.example.com'] },
          transport_socket: tlsSocket(
            ca.issue('api', ['DNS:api.example.com', 'URI:spiffe://cluster.local/ns/edge/sa/proxy']),
            { require_client_certificate: true },
            validation,
          ),
        },
        {
          server_name: 'api-chain',
          forward_client_cert_details: 'SANITIZE_SET',
          set_current_client_cert_details: { uri: true },
        },
      ),
      chain(
        base,
        {
          filter_chain_match: { server_names: ['*.shop.example.com'] },
          transport_socket: tlsSocket(ca.issue('shop', ['DNS:*.shop.example.com'])),
        },
        {
          server_name: 'shop-chain',
          route_config: {
            name: 'shop',
            virtual_hosts: [
              {
                name: 'shop',
                domains: ['*'],
                routes: [
                  {
                    match: { prefix: '/' },
                    direct_response: { status: 200, body: { inline_string: 'shop' } },
                  },
                ],
              },
            ],
          },
        },
      ),
    ];
    const hook = {
      onRequestStart(s: ActiveStream) {
        const d = s.downstream;
        seen.push({
          protocol: d.protocol,
          scheme: d.scheme,
          peer: d.peer === undefined ? undefined : (d.peer?.uriSans[0] ?? null),
        });
      },
    };
    proxy = await ProxyServer.start(await parseBootstrap(JSON.stringify(bootstrap)), {
      accessLogFactory: () => new MemoryAccessLog(),
      hooks: [hook],
    });
    port = proxy.listenerPort('main');
  });
  after(async () => {
    await proxy.close();
    await up.close();
  });

  function https1(
    servername: string,
    cert?: TestCert,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; server: string; body: string; alpn: string }> {
    return new Promise((resolve, reject) => {
      const req = httpsRequest(
        {
          host: '127.0.0.1',
          port,
          servername,
          path: '/x',
          headers,
          ca: ca.cert,
          cert: cert?.cert,
          key: cert?.key,
          agent: false,
        },
        (res) => {
          let body = '';
          res.on('data', (c: Buffer) => {
            body += c.toString();
          });
          res.on('end', () => {
            const alpn = (res.socket as { alpnProtocol?: string | false }).alpnProtocol;
            resolve({
              status: res.statusCode ?? 0,
              server: String(res.headers.server),
              body,
              alpn: alpn || '',
            });
          });
        },
      );
      req.on('error', reject);
      req.end();
    });
  }

  test('HTTPS/1.1 with a client certificate reaches the upstream; the URI SAN is on the stream', async () => {
    const r = await https1('api.example.com', client);
    assert.equal(r.status, 200);
    assert.equal(r.server, 'api-chain');
    assert.equal(r.body, `upstream ${up.port}`);
    assert.deepEqual(seen.at(-1), {
      protocol: 'HTTP/1.1',
      scheme: 'https',
      peer: 'spiffe://cluster.local/ns/shop/sa/cart',
    });
  });

  test('SANITIZE_SET replaces a forged x-forwarded-client-cert with the verified client identity', async () => {
    const r = await https1('api.example.com', client, { 'x-forwarded-client-cert': 'URI=spiffe://forged' });
    assert.equal(r.status, 200);
    const hash = new X509Certificate(client.cert).fingerprint256.replaceAll(':', '').toLowerCase();
    assert.equal(
      up.seen.at(-1)?.headers['x-forwarded-client-cert'],
      `By=spiffe://cluster.local/ns/edge/sa/proxy;Hash=${hash};URI=spiffe://cluster.local/ns/shop/sa/cart`,
    );
  });

  test('ALPN h2 selects the HTTP/2 codec over TLS', async () => {
    const session = h2connect(`https://127.0.0.1:${port}`, {
      servername: 'api.example.com',
      ca: ca.cert,
      cert: client.cert,
      key: client.key,
    });
    try {
      const req = session.request({ ':path': '/h2' });
      let body = '';
      const status = await new Promise<number>((resolve, reject) => {
        let s = 0;
        req.on('response', (h) => {
          s = Number(h[':status']);
        });
        req.on('data', (c: Buffer) => {
          body += c.toString();
        });
        req.on('end', () => resolve(s));
        req.on('error', reject);
        req.end();
      });
      assert.equal(status, 200);
      assert.equal(body, `upstream ${up.port}`);
      assert.equal(session.alpnProtocol, 'h2');
      assert.deepEqual(seen.at(-1), {
        protocol: 'HTTP/2',
        scheme: 'https',
        peer: 'spiffe://cluster.local/ns/shop/sa/cart',
      });
    } finally {
      session.close();
    }
  });

  test('SNI on a wildcard picks the other chain, its certificate and its routes', async () => {
    const r = await https1('cart.shop.example.com');
    assert.equal(r.status, 200);
    assert.equal(r.server, 'shop-chain');
    assert.equal(r.body, 'shop');
    assert.equal(seen.at(-1)?.peer, null);
  });

  test('the mTLS chain refuses a client without a certificate, and the listener counts it', async () => {
    const stat = (name: string) =>
      proxy.store.stats.value(`envoy_listener_ssl_${name}`, { envoy_listener_address: '127.0.0.1_0' });
    const before = stat('fail_verify_no_cert');
    await assert.rejects(https1('api.example.com'));
    assert.equal(stat('fail_verify_no_cert'), before + 1);
    assert.ok(stat('handshake') >= 2, 'earlier handshakes were counted');
  });

  test('an unknown server name with no default chain is refused at the handshake', async () => {
    const s = tlsConnect({ host: '127.0.0.1', port, servername: 'other.example.org', ca: ca.cert });
    const outcome = await new Promise<string>((resolve) => {
      s.once('secureConnect', () => resolve('connected'));
      s.once('error', () => resolve('refused'));
      s.once('close', () => resolve('refused'));
    });
    s.destroy();
    assert.equal(outcome, 'refused');
    const r = await https1('cart.shop.example.com');
    assert.equal(r.status, 200, 'the listener keeps serving');
  });

  test('/config_dump redacts private keys but shows certificates', async () => {
    const r = await send(proxy.adminPort, { path: '/config_dump' });
    assert.equal(r.status, 200);
    assert.ok(!r.body.includes('PRIVATE KEY'), 'no key material in the dump');
    assert.ok(r.body.includes('[redacted]'));
    assert.ok(r.body.includes('BEGIN CERTIFICATE'), 'certificates stay visible');
  });

  test('a plaintext chain may sit beside TLS chains; server_names on a plaintext HTTP chain is an error naming it', () => {
    const hcm = (
      buildBootstrap({ routes: [], clusters: [] }) as {
        static_resources: { listeners: Array<{ filter_chains: Json[] }> };
      }
    ).static_resources.listeners[0]!.filter_chains[0]!;
    const leaf = ca.issue('x', ['DNS:x.example.com']);
    const listener = {
      name: 'l',
      address: { socket_address: { address: '127.0.0.1', port_value: 0 } },
      filter_chains: [
        {
          ...hcm,
          filter_chain_match: { server_names: ['x.example.com'] },
          transport_socket: tlsSocket(leaf),
        },
        hcm,
      ],
    };
    // Envoy picks the chain from the first bytes: TLS with SNI x.example.com, or the plaintext default.
    assert.notEqual(compileListener(listener, 'listeners[0]').selector, null);
    const noTls = {
      ...listener,
      filter_chains: [{ ...hcm, filter_chain_match: { server_names: ['x.example.com'] } }],
    };
    assert.throws(
      () => compileListener(noTls, 'listeners[0]'),
      (e: unknown) =>
        e instanceof ProxyConfigError &&
        e.path === 'listeners[0].filter_chains[0].filter_chain_match.server_names',
    );
  });
});
