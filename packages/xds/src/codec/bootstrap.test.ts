import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parse } from 'yaml';
import { normalize } from './any.js';

const BOOTSTRAP = 'envoy.config.bootstrap.v3.Bootstrap';

// The shape of Envoy's own getting-started config, plus ADS dynamic resources.
const yaml = `
node:
  id: web-1
  cluster: web
admin:
  address:
    socket_address: { address: 127.0.0.1, port_value: 9901 }
static_resources:
  listeners:
  - name: listener_0
    address:
      socket_address: { address: 0.0.0.0, port_value: 10000 }
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: ingress_http
          codec_type: AUTO
          access_log:
          - name: envoy.access_loggers.stdout
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StdoutAccessLog
          http_filters:
          - name: envoy.filters.http.router
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router
          route_config:
            name: local_route
            virtual_hosts:
            - name: local_service
              domains: ["*"]
              routes:
              - match: { prefix: "/" }
                route:
                  host_rewrite_literal: www.envoyproxy.io
                  cluster: service_envoyproxy_io
  clusters:
  - name: service_envoyproxy_io
    type: LOGICAL_DNS
    connect_timeout: 0.25s
    dns_lookup_family: V4_ONLY
    load_assignment:
      cluster_name: service_envoyproxy_io
      endpoints:
      - lb_endpoints:
        - endpoint:
            address:
              socket_address:
                address: www.envoyproxy.io
                port_value: 443
    transport_socket:
      name: envoy.transport_sockets.tls
      typed_config:
        "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext
        sni: www.envoyproxy.io
  - name: xds_cluster
    type: STATIC
    connect_timeout: 1s
    typed_extension_protocol_options:
      envoy.extensions.upstreams.http.v3.HttpProtocolOptions:
        "@type": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions
        explicit_http_config:
          http2_protocol_options: {}
    load_assignment:
      cluster_name: xds_cluster
      endpoints:
      - lb_endpoints:
        - endpoint:
            address:
              socket_address: { address: 127.0.0.1, port_value: 15010 }
dynamic_resources:
  ads_config:
    api_type: GRPC
    transport_api_version: V3
    grpc_services:
    - envoy_grpc: { cluster_name: xds_cluster }
  lds_config: { ads: {}, resource_api_version: V3 }
  cds_config: { ads: {}, resource_api_version: V3 }
`;

test('a full Envoy v3 bootstrap YAML validates and comes out canonical', () => {
  const out = normalize(BOOTSTRAP, parse(yaml)) as any;
  assert.deepEqual(out.admin, { address: { socket_address: { address: '127.0.0.1', port_value: 9901 } } });
  const [web, xds] = out.static_resources.clusters;
  assert.equal(web.connect_timeout, '0.25s');
  assert.equal(web.type, 'LOGICAL_DNS');
  assert.equal(web.dns_lookup_family, 'V4_ONLY');
  assert.equal(web.transport_socket.typed_config.sni, 'www.envoyproxy.io');
  assert.deepEqual(
    xds.typed_extension_protocol_options['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'],
    {
      '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
      explicit_http_config: { http2_protocol_options: {} },
    },
  );
  const hcm = out.static_resources.listeners[0].filter_chains[0].filters[0].typed_config;
  assert.equal(hcm.route_config.virtual_hosts[0].routes[0].route.cluster, 'service_envoyproxy_io');
  assert.equal(
    hcm.access_log[0].typed_config['@type'],
    'type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StdoutAccessLog',
  );
  assert.equal(out.dynamic_resources.ads_config.api_type, 'GRPC');
  assert.deepEqual(out.dynamic_resources.lds_config, { ads: {}, resource_api_version: 'V3' });
});

test('normalizing a bootstrap twice changes nothing', () => {
  const once = normalize(BOOTSTRAP, parse(yaml));
  assert.deepEqual(normalize(BOOTSTRAP, once), once);
});

test('a bad duration in bootstrap YAML names its path', () => {
  const doc = parse(yaml.replace('connect_timeout: 1s', 'connect_timeout: 5x'));
  assert.throws(() => normalize(BOOTSTRAP, doc), {
    code: 'MESH_ERR_XDS_INVALID',
    message: 'static_resources.clusters[1].connect_timeout: invalid duration "5x"',
  });
});
