import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compileCluster } from './cluster-config.js';

const endpoint = (address: string, port: number) => ({
  endpoint: { address: { socket_address: { address, port_value: port } } },
});
const staticCluster = (extra: Record<string, unknown> = {}) => ({
  name: 'inventory',
  type: 'STATIC',
  connect_timeout: '0.25s',
  load_assignment: {
    cluster_name: 'inventory',
    endpoints: [{ lb_endpoints: [endpoint('127.0.0.1', 8080)] }],
  },
  ...extra,
});

function throwsAt(fn: () => unknown, message: string) {
  assert.throws(fn, (e: Error & { code?: string }) => {
    assert.equal(e.code, 'MESH_ERR_PROXY_CONFIG');
    assert.equal(e.message, message);
    return true;
  });
}

describe('compileCluster', () => {
  test('applies Envoy defaults', () => {
    const s = compileCluster('clusters[0]', { ...staticCluster(), connect_timeout: undefined });
    assert.equal(s.connectTimeoutMs, 5000);
    assert.equal(s.lbPolicy, 'ROUND_ROBIN');
    assert.equal(s.healthyPanicThresholdPercent, 50);
    assert.deepEqual(s.limits.DEFAULT, {
      maxConnections: 1024,
      maxPendingRequests: 1024,
      maxRequests: 1024,
      maxRetries: 3,
    });
    assert.equal(s.protocol.http2, false);
    assert.equal(s.protocol.maxRequestsPerConnection, Number.POSITIVE_INFINITY);
    assert.equal(s.perConnectionBufferLimitBytes, 1048576);
    assert.equal(s.statName, 'inventory');
    assert.equal(s.outlierDetection, undefined);
  });

  test('reads the supported fields', () => {
    const s = compileCluster(
      'clusters[0]',
      staticCluster({
        lb_policy: 'LEAST_REQUEST',
        least_request_lb_config: {
          choice_count: 3,
          active_request_bias: { default_value: 0.5, runtime_key: 'lr.bias' },
        },
        circuit_breakers: {
          thresholds: [
            { max_connections: 100, max_pending_requests: 50, max_requests: 100 },
            { priority: 'HIGH', max_retries: 10 },
          ],
        },
        common_lb_config: { healthy_panic_threshold: { value: 25 } },
        typed_extension_protocol_options: {
          'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
            '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
            explicit_http_config: { http2_protocol_options: { max_concurrent_streams: 100 } },
            common_http_protocol_options: { max_requests_per_connection: 1000, idle_timeout: '30s' },
          },
        },
        per_connection_buffer_limit_bytes: 32768,
        transport_socket: {
          name: 'envoy.transport_sockets.tls',
          typed_config: {
            '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
            sni: 'inventory.shop',
          },
        },
        metadata: { filter_metadata: { istio: { config: 'x' } } },
        alt_stat_name: 'inventory_v1',
      }),
    );
    assert.equal(s.lbSettings.choiceCount, 3);
    assert.equal(s.lbSettings.activeRequestBias, 0.5);
    assert.equal(s.limits.DEFAULT.maxPendingRequests, 50);
    assert.equal(s.limits.DEFAULT.maxRetries, 3);
    assert.equal(s.limits.HIGH.maxRetries, 10);
    assert.equal(s.healthyPanicThresholdPercent, 25);
    assert.equal(s.protocol.http2, true);
    assert.equal(s.protocol.http2Settings.maxConcurrentStreams, 100);
    assert.equal(s.protocol.maxRequestsPerConnection, 1000);
    assert.equal(s.protocol.idleTimeoutMs, 30_000);
    assert.equal(s.perConnectionBufferLimitBytes, 32768);
    assert.equal(s.upstreamTlsContext?.sni, 'inventory.shop');
    assert.equal(s.statName, 'inventory_v1');
  });

  test('circuit_breakers retry_budget: Envoy defaults 20 % / 3 for fields left out', () => {
    const s = compileCluster(
      'c',
      staticCluster({
        circuit_breakers: {
          thresholds: [
            { retry_budget: {}, max_retries: 7 },
            { priority: 'HIGH', retry_budget: { budget_percent: { value: 50 }, min_retry_concurrency: 1 } },
          ],
        },
      }),
    );
    assert.deepEqual(s.limits.DEFAULT.retryBudget, { budgetPercent: 20, minRetryConcurrency: 3 });
    assert.equal(s.limits.DEFAULT.maxRetries, 7);
    assert.deepEqual(s.limits.HIGH.retryBudget, { budgetPercent: 50, minRetryConcurrency: 1 });
  });

  test('common_lb_config.locality_weighted_lb_config turns on locality weighting', () => {
    const on = compileCluster('c', staticCluster({ common_lb_config: { locality_weighted_lb_config: {} } }));
    assert.equal(on.localityWeighted, true);
    assert.equal(on.healthyPanicThresholdPercent, 50);
    assert.equal(compileCluster('c', staticCluster()).localityWeighted, false);
    throwsAt(
      () => compileCluster('c', staticCluster({ common_lb_config: { zone_aware_lb_config: {} } })),
      'c.common_lb_config.zone_aware_lb_config: unsupported field',
    );
  });

  test('legacy http2_protocol_options selects HTTP/2', () => {
    assert.equal(compileCluster('c', staticCluster({ http2_protocol_options: {} })).protocol.http2, true);
  });

  test('EDS needs eds_cluster_config and takes its service name', () => {
    const s = compileCluster('c', {
      name: 'outbound|8080||inventory',
      type: 'EDS',
      eds_cluster_config: { eds_config: { ads: {}, resource_api_version: 'V3' }, service_name: 'inventory' },
    });
    assert.equal(s.edsServiceName, 'inventory');
    throwsAt(
      () => compileCluster('clusters[1]', { name: 'a', type: 'EDS' }),
      'clusters[1].eds_cluster_config: is required for type EDS',
    );
  });

  test('rejects unsupported fields and values by name', () => {
    throwsAt(
      () => compileCluster('clusters[0]', staticCluster({ foo: 1 })),
      'clusters[0].foo: unsupported field',
    );
    throwsAt(
      () => compileCluster('clusters[2]', staticCluster({ lb_policy: 'CLUSTER_PROVIDED' })),
      'clusters[2].lb_policy: unsupported value "CLUSTER_PROVIDED"',
    );
    throwsAt(
      () => compileCluster('c', staticCluster({ type: 'ORIGINAL_DST' })),
      'c.type: unsupported value "ORIGINAL_DST"',
    );
    throwsAt(
      () =>
        compileCluster(
          'c',
          staticCluster({
            circuit_breakers: { thresholds: [{ retry_budget: { budget_percent: { value: 120 } } }] },
          }),
        ),
      'c.circuit_breakers.thresholds[0].retry_budget.budget_percent: percent must be between 0 and 100, got 120',
    );
    throwsAt(
      () =>
        compileCluster(
          'c',
          staticCluster({ circuit_breakers: { thresholds: [{ retry_budget: { percent: 5 } }] } }),
        ),
      'c.circuit_breakers.thresholds[0].retry_budget.percent: unsupported field',
    );
    throwsAt(
      () => compileCluster('c', staticCluster({ maglev_lb_config: { table_size: 65536 } })),
      'c.maglev_lb_config.table_size: must be a prime number, got 65536',
    );
    throwsAt(
      () => compileCluster('c', staticCluster({ connect_timeout: '5' })),
      'c.connect_timeout: invalid duration "5" (expected e.g. "0.25s")',
    );
    throwsAt(
      () =>
        compileCluster(
          'c',
          staticCluster({
            transport_socket: { name: 'envoy.transport_sockets.alts', typed_config: { '@type': 'x' } },
          }),
        ),
      'c.transport_socket.typed_config.@type: unsupported transport socket "x" (expected type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext)',
    );
  });

  test('rejects bad endpoints with their full path', () => {
    throwsAt(
      () =>
        compileCluster(
          'clusters[0]',
          staticCluster({
            load_assignment: {
              cluster_name: 'x',
              endpoints: [{ lb_endpoints: [endpoint('10.0.0.1', 70000)] }],
            },
          }),
        ),
      'clusters[0].load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.port_value: expected an integer between 0 and 65535, got 70000',
    );
    throwsAt(
      () => compileCluster('c', { name: 'x', type: 'STATIC' }),
      'c.load_assignment: is required for type STATIC',
    );
  });

  test('ignore_health_on_host_removal: true is how hosts always leave; false is refused', () => {
    assert.equal(
      compileCluster('c', staticCluster({ ignore_health_on_host_removal: true })).name,
      'inventory',
    );
    throwsAt(
      () => compileCluster('c', staticCluster({ ignore_health_on_host_removal: false })),
      'c.ignore_health_on_host_removal: unsupported value false',
    );
  });

  test('accepts the resource type URL an unpacked Any keeps, and nothing else', () => {
    const typed = { '@type': 'type.googleapis.com/envoy.config.cluster.v3.Cluster', ...staticCluster() };
    assert.equal(compileCluster('c', typed).name, 'inventory');
    throwsAt(
      () =>
        compileCluster('c', {
          ...staticCluster(),
          '@type': 'type.googleapis.com/envoy.config.listener.v3.Listener',
        }),
      'c.@type: expected type.googleapis.com/envoy.config.cluster.v3.Cluster, got "type.googleapis.com/envoy.config.listener.v3.Listener"',
    );
  });

  test("compiles Envoy's getting-started cluster as written", () => {
    const s = compileCluster('clusters[0]', {
      name: 'service_envoyproxy_io',
      type: 'LOGICAL_DNS',
      dns_lookup_family: 'V4_ONLY',
      load_assignment: {
        cluster_name: 'service_envoyproxy_io',
        endpoints: [
          {
            lb_endpoints: [
              {
                endpoint: { address: { socket_address: { address: 'www.envoyproxy.io', port_value: 443 } } },
              },
            ],
          },
        ],
      },
      transport_socket: {
        name: 'envoy.transport_sockets.tls',
        typed_config: {
          '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
          sni: 'www.envoyproxy.io',
        },
      },
    });
    assert.equal(s.type, 'LOGICAL_DNS');
    assert.equal(s.dnsLookupFamily, 'V4_ONLY');
    assert.equal(s.loadAssignment?.hosts[0].address, 'www.envoyproxy.io');
    assert.equal(s.upstreamTlsContext?.sni, 'www.envoyproxy.io');
  });

  test('accepts numeric enum values as proto3 JSON allows', () => {
    const s = compileCluster('c', staticCluster({ type: 0, lb_policy: 5 }));
    assert.equal(s.lbPolicy, 'MAGLEV');
  });
});
