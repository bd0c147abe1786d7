import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createSecureServer } from 'node:http2';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { before, describe, test } from 'node:test';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { createTestCa, inlineCertificate, type TestCa, type TestCert } from '../../tls/test-support/certs.js';
import { UPSTREAM_TLS_TYPE } from '../../tls/transport-socket.js';
import { compileUpstreamTransportSocket, type UpstreamTlsConfig } from '../../tls/upstream-tls-context.js';
import { systemClock } from '../clock.js';
import type { UpstreamHost } from '../host.js';
import { compileHealthCheck } from './health-check-config.js';
import { HealthChecker } from './health-checker.js';
import { localHost, waitFor } from './test-support.js';

const fast = { timeout: '1s', interval: '0.02s', unhealthy_threshold: 1, healthy_threshold: 1 };

function upstreamTls(ca: TestCa, client: TestCert, trusted = ca.cert): UpstreamTlsConfig {
  return compileUpstreamTransportSocket(
    {
      name: 'envoy.transport_sockets.tls',
      typed_config: {
        '@type': UPSTREAM_TLS_TYPE,
        sni: 'inventory.shop',
        common_tls_context: {
          tls_certificates: [inlineCertificate(client)],
          validation_context: { trusted_ca: { inline_string: trusted } },
        },
      },
    },
    'transport_socket',
  )!;
}

function check(config: Record<string, unknown>, host: UpstreamHost, tls: UpstreamTlsConfig): HealthChecker {
  const hc = new HealthChecker(
    'inventory',
    [compileHealthCheck('hc', { ...fast, ...config })],
    systemClock,
    Math.random,
    { onCheckResult: () => {}, onHealthChanged: () => {} },
    tls,
  );
  hc.setHosts([host], new Set([host]));
  return hc;
}

describe('health checks through the cluster TLS transport socket', () => {
  let ca: TestCa;
  let serverCert: TestCert;
  let clientCert: TestCert;

  before(() => {
    ca = createTestCa('mesh-ca');
    serverCert = ca.issue('inventory', ['DNS:inventory.shop']);
    clientCert = ca.issue('sidecar', ['URI:spiffe://cluster.local/ns/shop/sa/gateway']);
  });

  const serverOptions = () => ({
    cert: serverCert.cert,
    key: serverCert.key,
    ca: ca.cert,
    requestCert: true,
    rejectUnauthorized: true,
  });

  test('HTTP/1.1 over mutual TLS with the configured SNI', async (t) => {
    const seen: string[] = [];
    const server = createHttpsServer(serverOptions(), (req, res) => {
      const socket = req.socket as TLSSocket;
      seen.push(`${socket.servername} ${socket.authorized} ${req.url}`);
      res.end();
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    t.after(() => server.close());
    const host = localHost((server.address() as AddressInfo).port);
    const hc = check({ http_health_check: { path: '/healthz' } }, host, upstreamTls(ca, clientCert));
    t.after(() => hc.close());
    await waitFor(() => !host.failedActiveHealthCheck);
    assert.equal(seen[0], 'inventory.shop true /healthz');
  });

  test('HTTP/2 over TLS negotiates h2', async (t) => {
    const seen: string[] = [];
    const server = createSecureServer({ ...serverOptions(), allowHTTP1: false }, (req, res) => {
      seen.push(`${req.httpVersion} ${req.url}`);
      res.end();
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    t.after(() => server.close());
    const host = localHost((server.address() as AddressInfo).port);
    const hc = check(
      { http_health_check: { path: '/h2', codec_client_type: 'HTTP2' } },
      host,
      upstreamTls(ca, clientCert),
    );
    t.after(() => hc.close());
    await waitFor(() => !host.failedActiveHealthCheck);
    assert.equal(seen[0], '2.0 /h2');
  });

  test('TCP connect over TLS; a server certificate from another CA fails the check', async (t) => {
    const server = createTlsServer(serverOptions(), (s) => s.end());
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    t.after(() => server.close());
    const port = (server.address() as AddressInfo).port;
    const good = localHost(port);
    const hcGood = check({ tcp_health_check: {} }, good, upstreamTls(ca, clientCert));
    t.after(() => hcGood.close());
    await waitFor(() => !good.failedActiveHealthCheck);
    const bad = localHost(port);
    const hcBad = check(
      { tcp_health_check: {} },
      bad,
      upstreamTls(ca, clientCert, createTestCa('other').cert),
    );
    t.after(() => hcBad.close());
    await waitFor(() => hcBad.stats.failures >= 2);
    assert.equal(bad.failedActiveHealthCheck, true);
  });

  test('gRPC health over TLS', async (t) => {
    const server = new grpc.Server();
    server.addService(
      {
        Check: {
          path: '/grpc.health.v1.Health/Check',
          requestStream: false,
          responseStream: false,
          requestSerialize: (b: Buffer) => b,
          requestDeserialize: (b: Buffer) => b,
          responseSerialize: (b: Buffer) => b,
          responseDeserialize: (b: Buffer) => b,
        },
      },
      { Check: (_call: unknown, cb: grpc.sendUnaryData<Buffer>) => cb(null, Buffer.from([0x08, 1])) },
    );
    const creds = grpc.ServerCredentials.createSsl(
      Buffer.from(ca.cert),
      [{ cert_chain: Buffer.from(serverCert.cert), private_key: Buffer.from(serverCert.key) }],
      true,
    );
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', creds, (e, p) => (e ? reject(e) : resolve(p))),
    );
    t.after(() => server.forceShutdown());
    const host = localHost(port);
    const hc = check({ grpc_health_check: {} }, host, upstreamTls(ca, clientCert));
    t.after(() => hc.close());
    await waitFor(() => !host.failedActiveHealthCheck);
  });
});
