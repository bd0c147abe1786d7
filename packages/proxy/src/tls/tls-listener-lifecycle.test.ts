/** A TLS listener's connections that never finish their handshake do not outlive the listener. */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:net';
import { test } from 'node:test';
import { buildBootstrap, startProxy } from '../test-support/harness.js';
import { createTestCa, inlineCertificate } from './test-support/certs.js';
import { DOWNSTREAM_TLS_TYPE } from './transport-socket.js';

test('closing the proxy destroys connections still in their TLS handshake', async () => {
  const ca = createTestCa('lifecycle-ca');
  const bootstrap = buildBootstrap({
    routes: [{ match: { prefix: '/' }, direct_response: { status: 200 } }],
    clusters: [],
  }) as { static_resources: { listeners: Array<{ filter_chains: Array<Record<string, unknown>> }> } };
  bootstrap.static_resources.listeners[0]!.filter_chains[0]!.transport_socket = {
    name: 'envoy.transport_sockets.tls',
    typed_config: {
      '@type': DOWNSTREAM_TLS_TYPE,
      common_tls_context: { tls_certificates: [inlineCertificate(ca.issue('x', ['DNS:x.example.com']))] },
    },
  };
  const px = await startProxy(bootstrap);
  const stalled = connect(px.port, '127.0.0.1');
  stalled.on('error', () => {});
  await once(stalled, 'connect');
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(px.proxy.store.listenerList()[0]?.connectionCount, 1, 'counted while handshaking');
  const closed = once(stalled, 'close');
  await px.close();
  await closed;
});
