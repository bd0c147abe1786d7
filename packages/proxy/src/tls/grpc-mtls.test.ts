/**
 * gRPC end to end over mTLS on both hops, as a sidecar pair runs it: a @grpc/grpc-js client with a
 * certificate → proxy TLS listener (ALPN h2) → proxy-originated mTLS (h2) → @grpc/grpc-js server
 * that requires client certificates.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { buildBootstrap, startProxy, staticCluster, type TestProxy } from '../test-support/harness.js';
import { createTestCa, inlineCertificate, type TestCa } from './test-support/certs.js';
import { DOWNSTREAM_TLS_TYPE, UPSTREAM_TLS_TYPE } from './transport-socket.js';

const ser = (s: string) => Buffer.from(s);
const de = (b: Buffer) => b.toString();
const WHO = {
  path: '/test.Identity/Who',
  requestStream: false,
  responseStream: false,
  requestSerialize: ser,
  requestDeserialize: de,
  responseSerialize: ser,
  responseDeserialize: de,
};

describe('gRPC over mTLS on both hops', () => {
  let ca: TestCa;
  let server: grpc.Server;
  let px: TestProxy;
  let client: grpc.Client;

  before(async () => {
    ca = createTestCa('mesh-ca');
    const backend = ca.issue('backend', ['DNS:backend.internal']);
    server = new grpc.Server();
    server.addService({ Who: WHO } as unknown as grpc.ServiceDefinition, {
      Who: (call: grpc.ServerUnaryCall<string, string>, cb: grpc.sendUnaryData<string>) => {
        const xfcc = call.metadata.get('x-forwarded-client-cert')[0];
        cb(
          null,
          `${call.request} via ${String(xfcc)
            .split(';')
            .find((p) => p.startsWith('URI='))}`,
        );
      },
    });
    const creds = grpc.ServerCredentials.createSsl(
      Buffer.from(ca.cert),
      [{ private_key: Buffer.from(backend.key), cert_chain: Buffer.from(backend.cert) }],
      true,
    );
    const upstreamPort = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', creds, (err, p) => (err ? reject(err) : resolve(p))),
    );
    const bootstrap = buildBootstrap({
      hcm: { forward_client_cert_details: 'SANITIZE_SET', set_current_client_cert_details: { uri: true } },
      routes: [{ match: { prefix: '/' }, route: { cluster: 'backend' } }],
      clusters: [
        staticCluster('backend', [upstreamPort], {
          http2_protocol_options: {},
          transport_socket: {
            name: 'envoy.transport_sockets.tls',
            typed_config: {
              '@type': UPSTREAM_TLS_TYPE,
              sni: 'backend.internal',
              common_tls_context: {
                tls_certificates: [
                  inlineCertificate(ca.issue('sidecar', ['URI:spiffe://td/ns/edge/sa/sidecar'])),
                ],
                validation_context: { trusted_ca: { inline_string: ca.cert } },
              },
            },
          },
        }),
      ],
    }) as { static_resources: { listeners: Array<{ filter_chains: Array<Record<string, unknown>> }> } };
    const chain = bootstrap.static_resources.listeners[0]!.filter_chains[0]!;
    chain.transport_socket = {
      name: 'envoy.transport_sockets.tls',
      typed_config: {
        '@type': DOWNSTREAM_TLS_TYPE,
        require_client_certificate: true,
        common_tls_context: {
          tls_certificates: [inlineCertificate(ca.issue('gateway', ['DNS:api.example.com']))],
          alpn_protocols: ['h2', 'http/1.1'],
          validation_context: { trusted_ca: { inline_string: ca.cert } },
        },
      },
    };
    px = await startProxy(bootstrap);
    const me = ca.issue('cart', ['URI:spiffe://td/ns/shop/sa/cart']);
    client = new grpc.Client(
      `127.0.0.1:${px.port}`,
      grpc.credentials.createSsl(Buffer.from(ca.cert), Buffer.from(me.key), Buffer.from(me.cert)),
      { 'grpc.ssl_target_name_override': 'api.example.com', 'grpc.default_authority': 'api.example.com' },
    );
  });
  after(async () => {
    client.close();
    await px.close();
    server.forceShutdown();
  });

  test('a unary call crosses both TLS hops and the upstream learns the caller from XFCC', async () => {
    const reply = await new Promise<string>((resolve, reject) =>
      client.makeUnaryRequest(WHO.path, ser, de, 'hello', (err, v) => (err ? reject(err) : resolve(v!))),
    );
    assert.equal(reply, 'hello via URI=spiffe://td/ns/shop/sa/cart');
    assert.equal(px.log.entries.at(-1)?.protocol, 'HTTP/2');
  });
});
