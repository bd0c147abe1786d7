import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { AdsClient } from '../client/ads-client.js';
import { BACKOFF, edsCluster, waitFor } from '../test-support.js';
import { AdsServer } from './ads-server.js';

// ADS over mutual TLS, with the node's claimed identity checked against its certificate's
// SPIFFE id: spiffe://mesh.test/ns/default/sa/<cluster>.
let dir: string;
const pem: Record<string, Buffer> = {};

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
}

function issue(name: string, subject: string, san: string): void {
  writeFileSync(join(dir, `${name}.ext`), `subjectAltName=${san}\n`);
  openssl(
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.csr`,
    '-subj',
    subject,
  );
  openssl(
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    `${name}.crt`,
    '-days',
    '1',
    '-extfile',
    `${name}.ext`,
  );
  pem[`${name}.key`] = readFileSync(join(dir, `${name}.key`));
  pem[`${name}.crt`] = readFileSync(join(dir, `${name}.crt`));
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'xds-tls-'));
  openssl(
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-subj',
    '/CN=test-ca',
    '-days',
    '1',
  );
  pem['ca.crt'] = readFileSync(join(dir, 'ca.crt'));
  issue('server', '/CN=localhost', 'DNS:localhost,IP:127.0.0.1');
  issue('web', '/CN=web', 'URI:spiffe://mesh.test/ns/default/sa/web');
});
after(() => rmSync(dir, { recursive: true, force: true }));

function spiffeOf(cert: { subjectaltname?: string } | undefined): string | undefined {
  return cert?.subjectaltname
    ?.split(', ')
    .find((s) => s.startsWith('URI:'))
    ?.slice(4);
}

async function mtlsServer(t: {
  after(fn: () => unknown): void;
}): Promise<{ server: AdsServer; port: number }> {
  const server = new AdsServer({
    authorizeNode: (node, peer) =>
      spiffeOf(peer.authContext.sslPeerCertificate) === `spiffe://mesh.test/ns/default/sa/${node.cluster}`,
  });
  const credentials = grpc.ServerCredentials.createSsl(
    pem['ca.crt'],
    [{ cert_chain: pem['server.crt'], private_key: pem['server.key'] }],
    true,
  );
  const port = await server.listen('127.0.0.1:0', credentials);
  t.after(() => server.close());
  server.setSnapshot('web-1', { cds: { version: '1', resources: [edsCluster('inventory')] } });
  server.setSnapshot('pay-1', { cds: { version: '1', resources: [edsCluster('vault')] } });
  return { server, port };
}

function mtlsClient(
  t: { after(fn: () => unknown): void },
  port: number,
  node: { id: string; cluster: string },
): AdsClient {
  const client = new AdsClient({
    address: `localhost:${port}`,
    node,
    wildcardTypes: ['cds'],
    backoff: BACKOFF,
    credentials: grpc.credentials.createSsl(pem['ca.crt'], pem['web.key'], pem['web.crt']),
  });
  t.after(() => client.close());
  return client.start();
}

test('a node whose certificate matches its claimed identity is served over mTLS', async (t) => {
  const { server, port } = await mtlsServer(t);
  const connected = waitFor(server, 'connect');
  const client = mtlsClient(t, port, { id: 'web-1', cluster: 'web' });
  await client.whenSynced();
  assert.deepEqual([...client.resources('cds').keys()], ['inventory']);
  assert.equal((await connected).nodeId, 'web-1');
});

test('a node claiming another identity than its certificate is refused', async (t) => {
  const { port } = await mtlsServer(t);
  const client = mtlsClient(t, port, { id: 'pay-1', cluster: 'payments' });
  const { error } = await waitFor(client, 'disconnected');
  assert.equal(error.code, grpc.status.PERMISSION_DENIED);
  assert.equal(client.resources('cds').size, 0);
});
