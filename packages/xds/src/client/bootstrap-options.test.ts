import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TYPE_URLS } from '../type-urls.js';
import { adsClientOptionsFromBootstrap } from './bootstrap-options.js';

const xdsCluster = {
  name: 'xds_cluster',
  type: 'STATIC',
  load_assignment: {
    cluster_name: 'xds_cluster',
    endpoints: [
      {
        lb_endpoints: [
          { endpoint: { address: { socket_address: { address: '10.0.0.2', port_value: 15010 } } } },
        ],
      },
    ],
  },
};

const bootstrap = (adsConfig: object, extra: object = {}) => ({
  node: { id: 'web-1', cluster: 'web' },
  static_resources: { clusters: [xdsCluster] },
  dynamic_resources: {
    ads_config: adsConfig,
    lds_config: { ads: {}, resource_api_version: 'V3' },
    cds_config: { ads: {}, resource_api_version: 'V3' },
    ...extra,
  },
});

test('an envoy_grpc ADS config resolves to its static cluster endpoint', () => {
  const options = adsClientOptionsFromBootstrap(
    bootstrap({
      api_type: 'GRPC',
      transport_api_version: 'V3',
      grpc_services: [{ envoy_grpc: { cluster_name: 'xds_cluster' } }],
    }),
  );
  assert.deepEqual(options, {
    address: '10.0.0.2:15010',
    node: { id: 'web-1', cluster: 'web' },
    delta: false,
    wildcardTypes: [TYPE_URLS.LISTENER, TYPE_URLS.CLUSTER],
  });
});

test('DELTA_GRPC and a google_grpc target', () => {
  const options = adsClientOptionsFromBootstrap(
    bootstrap({
      api_type: 'DELTA_GRPC',
      grpc_services: [{ google_grpc: { target_uri: 'meshd:15010', stat_prefix: 'ads' } }],
    }),
  );
  assert.equal(options?.address, 'meshd:15010');
  assert.equal(options?.delta, true);
});

test('no ads_config, no client; a dangling cluster name is an error naming the path', () => {
  assert.equal(adsClientOptionsFromBootstrap({ node: { id: 'x' } }), undefined);
  assert.throws(
    () =>
      adsClientOptionsFromBootstrap(bootstrap({ grpc_services: [{ envoy_grpc: { cluster_name: 'nope' } }] })),
    {
      code: 'MESH_ERR_XDS_INVALID',
      message:
        'dynamic_resources.ads_config.grpc_services[0].envoy_grpc.cluster_name: no static cluster named "nope"',
    },
  );
});
