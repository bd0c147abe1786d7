import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseBootstrap } from './bootstrap.js';
import { proxyNode } from './node-identity.js';
import { adsAddressOf, startXdsProxy } from './xds-proxy.js';

test('a sidecar node carries the identity the translator reads', () => {
  const node = proxyNode({
    nodeId: 'orders-1',
    service: 'orders',
    namespace: 'shop',
    mode: 'sidecar',
    inboundPort: 15006,
    outboundPort: 15001,
    appPort: 8080,
    labels: { version: 'v2' },
  });
  assert.deepEqual(node, {
    id: 'orders-1',
    cluster: 'orders',
    metadata: {
      mode: 'sidecar',
      service: 'orders',
      namespace: 'shop',
      labels: { version: 'v2' },
      inbound_port: 15006,
      outbound_port: 15001,
      app_port: 8080,
    },
  });
});

test('a gateway needs no ports; the namespace defaults', () => {
  const node = proxyNode({ nodeId: 'gateway', service: 'gateway', mode: 'gateway' });
  assert.deepEqual(node.metadata, { mode: 'gateway', service: 'gateway', namespace: 'default', labels: {} });
});

test('missing identity is reported by flag', () => {
  assert.throws(
    () => proxyNode({ nodeId: 'orders-1', service: 'orders', mode: 'sidecar', inboundPort: 1, appPort: 2 }),
    {
      code: 'MESH_ERR_PROXY_CONFIG',
      message: /node\.metadata\.outbound_port: a sidecar needs --outbound-port/,
    },
  );
  assert.throws(
    () => proxyNode({ nodeId: '', service: 'x', mode: 'gateway' }),
    /node\.id: required \(--node-id\)/,
  );
  assert.throws(() => proxyNode({ nodeId: 'x', service: '', mode: 'gateway' }), /node\.cluster: required/);
});

test('the ADS address comes from a bootstrap ads_config and its static cluster', async () => {
  const bootstrap = await parseBootstrap(`
node: { id: gw, cluster: gateway }
dynamic_resources:
  ads_config: { api_type: GRPC, transport_api_version: V3, grpc_services: [{ envoy_grpc: { cluster_name: xds } }] }
  lds_config: { ads: {} }
  cds_config: { ads: {} }
static_resources:
  clusters:
  - name: xds
    type: STATIC
    connect_timeout: 1s
    load_assignment: { cluster_name: xds, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: 15010 } } } }] }] }
`);
  assert.equal(adsAddressOf(bootstrap), '127.0.0.1:15010');
  const none = await parseBootstrap('node: { id: gw }');
  assert.throws(() => adsAddressOf(none), /dynamic_resources\.ads_config: no ADS server/);
});

test('a node the xDS codec rejects fails the start and leaves nothing bound', async () => {
  const node = { id: 'x', cluster: 'y', metadata: {}, locality: { nonsense: 1 } };
  await assert.rejects(startXdsProxy({ address: '127.0.0.1:1', node, adminPort: 0 }), /locality/);
});
