import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  buildBootstrap,
  send,
  startProxy,
  startUpstream,
  staticCluster,
  type TestProxy,
  type Upstream,
} from '../test-support/harness.js';

describe('admin listener', () => {
  let up: Upstream;
  let px: TestProxy;
  let admin: number;
  before(async () => {
    up = await startUpstream();
    px = await startProxy(
      buildBootstrap({
        routes: [{ name: 'main-route', match: { prefix: '/' }, route: { cluster: 'backend' } }],
        clusters: [staticCluster('backend', [up.port])],
      }),
    );
    admin = px.proxy.adminPort;
    await send(px.port);
  });
  after(async () => {
    await px.close();
    await up.close();
  });

  test('/ready answers LIVE', async () => {
    const res = await send(admin, { path: '/ready' });
    assert.equal(res.status, 200);
    assert.equal(res.body, 'LIVE\n');
  });

  test('/config_dump has the listeners, routes and clusters in Envoy shape', async () => {
    const dump = JSON.parse((await send(admin, { path: '/config_dump' })).body);
    const types = dump.configs.map((c: { '@type': string }) => c['@type'].split('.').pop());
    assert.deepEqual(types, [
      'BootstrapConfigDump',
      'ClustersConfigDump',
      'ListenersConfigDump',
      'RoutesConfigDump',
    ]);
    assert.equal(dump.configs[1].static_clusters[0].cluster.name, 'backend');
    assert.equal(dump.configs[2].static_listeners[0].listener.name, 'main');
  });

  test('/clusters lists each endpoint with health, in text and JSON', async () => {
    const textBody = (await send(admin, { path: '/clusters' })).body;
    assert.match(textBody, new RegExp(`backend::127.0.0.1:${up.port}::health_flags::healthy`));
    const json = JSON.parse((await send(admin, { path: '/clusters?format=json' })).body);
    assert.equal(json.cluster_statuses[0].host_statuses[0].address.socket_address.port_value, up.port);
  });

  test('/stats/prometheus exposes per-cluster request counts by code class and latency', async () => {
    const body = (await send(admin, { path: '/stats/prometheus' })).body;
    assert.match(
      body,
      /envoy_cluster_upstream_rq\{envoy_cluster_name="backend",envoy_response_code_class="2xx"\} [1-9]/,
    );
    assert.match(body, /envoy_cluster_upstream_rq_time_count\{envoy_cluster_name="backend"\} [1-9]/);
    assert.match(body, /envoy_http_downstream_rq_total\{envoy_http_conn_manager_prefix="ingress"\} [1-9]/);
    assert.match(
      body,
      /envoy_route_rq\{envoy_response_code_class="2xx",envoy_route="main-route",envoy_virtual_host="default"\} [1-9]/,
    );
  });

  test('/server_info reports state, mode and node', async () => {
    const info = JSON.parse((await send(admin, { path: '/server_info' })).body);
    assert.equal(info.state, 'LIVE');
    assert.equal(info.mode, 'sidecar');
    assert.deepEqual(info.node, { id: 'test-node', cluster: 'test' });
  });

  test('unknown admin paths get 404 and drain_listeners needs POST', async () => {
    assert.equal((await send(admin, { path: '/nope' })).status, 404);
    assert.equal((await send(admin, { path: '/drain_listeners' })).status, 405);
  });

  test('/listeners shows the bound address', async () => {
    const body = JSON.parse((await send(admin, { path: '/listeners' })).body);
    assert.equal(body.listener_statuses[0].local_address.socket_address.port_value, px.port);
  });
});
