/** TLS listener lifecycle: stalled handshakes, handshake timeout, certificate rotation by LDS. */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:net';
import { test } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import { buildBootstrap, startProxy } from '../test-support/harness.js';
import { createTestCa, inlineCertificate } from './test-support/certs.js';
import { DOWNSTREAM_TLS_TYPE } from './transport-socket.js';

function tlsBootstrap(chainExtra: Record<string, unknown> = {}, commonName = 'x') {
  const ca = createTestCa('lifecycle-ca');
  const bootstrap = buildBootstrap({
    routes: [{ match: { prefix: '/' }, direct_response: { status: 200 } }],
    clusters: [],
  }) as { static_resources: { listeners: Array<{ filter_chains: Array<Record<string, unknown>> }> } };
  bootstrap.static_resources.listeners[0]!.filter_chains[0]!.transport_socket = {
    name: 'envoy.transport_sockets.tls',
    typed_config: {
      '@type': DOWNSTREAM_TLS_TYPE,
      common_tls_context: {
        tls_certificates: [inlineCertificate(ca.issue(commonName, ['DNS:x.example.com']))],
      },
    },
  };
  Object.assign(bootstrap.static_resources.listeners[0]!.filter_chains[0]!, chainExtra);
  return bootstrap;
}

test('closing the proxy destroys connections still in their TLS handshake', async () => {
  const px = await startProxy(tlsBootstrap());
  const stalled = connect(px.port, '127.0.0.1');
  stalled.on('error', () => {});
  await once(stalled, 'connect');
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(px.proxy.store.listenerList()[0]?.connectionCount, 1, 'counted while handshaking');
  const closed = once(stalled, 'close');
  await px.close();
  await closed;
});

test('transport_socket_connect_timeout drops a peer that never finishes its handshake', async () => {
  const px = await startProxy(tlsBootstrap({ transport_socket_connect_timeout: '0.1s' }));
  try {
    const stalled = connect(px.port, '127.0.0.1');
    stalled.on('error', () => {});
    const t0 = Date.now();
    await once(stalled, 'close');
    assert.ok(Date.now() - t0 < 2000, 'dropped by the handshake timeout');
    const stat = px.proxy.store.stats.value('envoy_listener_ssl_connection_error', {
      envoy_listener_address: '127.0.0.1_0',
    });
    assert.ok(stat >= 1);
  } finally {
    await px.close();
  }
});

test('an LDS update with a new certificate applies to new connections', async () => {
  const px = await startProxy(tlsBootstrap({}, 'before'));
  const served = async () => {
    const s = tlsConnect({
      host: '127.0.0.1',
      port: px.port,
      servername: 'x.example.com',
      rejectUnauthorized: false,
    });
    s.on('error', () => {});
    await once(s, 'secureConnect');
    const cn = s.getPeerCertificate().subject.CN;
    s.destroy();
    return cn;
  };
  try {
    assert.equal(await served(), 'before');
    const next = tlsBootstrap({}, 'after').static_resources.listeners;
    await px.proxy.store.applyListeners(next, 'rotated');
    assert.equal(px.proxy.listenerPort('main'), px.port, 'same listener, updated in place');
    assert.equal(await served(), 'after');
  } finally {
    await px.close();
  }
});
