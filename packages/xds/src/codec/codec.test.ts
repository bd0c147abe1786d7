import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeAny, encodeAny, normalize } from './any.js';
import { fromEnvoyJson } from './from-json.js';
import { toEnvoyJson } from './to-json.js';

const HCM =
  'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';

const listener = {
  name: 'outbound_0.0.0.0_15001',
  address: { socket_address: { address: '0.0.0.0', port_value: 15001 } },
  filter_chains: [
    {
      filters: [
        {
          name: 'envoy.filters.network.http_connection_manager',
          typed_config: {
            '@type': HCM,
            stat_prefix: 'outbound_http',
            route_config: {
              name: 'local_route',
              virtual_hosts: [
                {
                  name: 'inventory',
                  domains: ['inventory', 'inventory:8080'],
                  routes: [{ match: { prefix: '/' }, route: { cluster: 'inventory', timeout: '2.5s' } }],
                },
              ],
            },
            http_filters: [
              {
                name: 'envoy.filters.http.fault',
                typed_config: {
                  '@type': 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault',
                  delay: { fixed_delay: '0.1s', percentage: { numerator: 5, denominator: 'TEN_THOUSAND' } },
                  abort: { http_status: 503, percentage: { numerator: 10 } },
                },
              },
              {
                name: 'envoy.filters.http.router',
                typed_config: {
                  '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router',
                },
              },
            ],
          },
        },
      ],
    },
  ],
};

const cluster = {
  name: 'inventory',
  type: 'EDS',
  eds_cluster_config: { eds_config: { ads: {}, resource_api_version: 'V3' }, service_name: 'inventory' },
  connect_timeout: '0.25s',
  lb_policy: 'RING_HASH',
  circuit_breakers: {
    thresholds: [
      { max_connections: 1024, max_pending_requests: 100, max_requests: 1000, max_retries: 3 },
      { priority: 'HIGH', max_connections: 2048 },
    ],
  },
  health_checks: [
    {
      timeout: '1s',
      interval: '5s',
      unhealthy_threshold: 3,
      healthy_threshold: 2,
      http_health_check: { path: '/healthz' },
    },
  ],
  outlier_detection: {
    consecutive_5xx: 5,
    interval: '10s',
    base_ejection_time: '30s',
    max_ejection_percent: 50,
  },
  ring_hash_lb_config: {
    minimum_ring_size: 1024,
    maximum_ring_size: 8388608,
    hash_function: 'MURMUR_HASH_2',
  },
};

const loadAssignment = {
  cluster_name: 'inventory',
  endpoints: [
    {
      locality: { region: 'local', zone: 'a' },
      lb_endpoints: [
        {
          endpoint: { address: { socket_address: { address: '10.0.0.7', port_value: 8080 } } },
          health_status: 'HEALTHY',
          load_balancing_weight: 3,
        },
        {
          endpoint: { address: { socket_address: { address: '10.0.0.8', port_value: 8080 } } },
          health_status: 'DRAINING',
          metadata: { filter_metadata: { 'envoy.lb': { canary: true, version: 'v2', weight: 1.5 } } },
        },
      ],
      load_balancing_weight: 1,
    },
  ],
  policy: { overprovisioning_factor: 140 },
};

const routeConfiguration = {
  name: 'http.8080',
  virtual_hosts: [
    {
      name: 'reviews',
      domains: ['reviews', 'reviews.default.svc.cluster.local'],
      routes: [
        {
          match: {
            safe_regex: { regex: '^/api/v[0-9]+/reviews$' },
            headers: [{ name: 'x-canary', exact_match: 'yes' }],
          },
          route: {
            weighted_clusters: {
              clusters: [
                { name: 'reviews-v1', weight: 90 },
                { name: 'reviews-v2', weight: 10 },
              ],
            },
            timeout: '3s',
            retry_policy: {
              retry_on: '5xx,connect-failure,reset',
              num_retries: 3,
              per_try_timeout: '0.5s',
              retry_back_off: { base_interval: '0.025s', max_interval: '0.25s' },
            },
            request_mirror_policies: [
              { cluster: 'reviews-shadow', runtime_fraction: { default_value: { numerator: 25 } } },
            ],
          },
        },
        { match: { prefix: '/' }, direct_response: { status: 404, body: { inline_string: 'no route' } } },
      ],
    },
  ],
};

const secret = {
  name: 'default',
  tls_certificate: {
    certificate_chain: { inline_string: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n' },
    private_key: { inline_bytes: 'AAECAw==' },
  },
};

describe('codec round trips', () => {
  const cases: Array<[string, string, Record<string, unknown>]> = [
    ['a Listener with an http_connection_manager, router and fault filters', 'lds', listener],
    ['a Cluster (EDS, circuit breakers, outlier detection, health checks, ring hash)', 'cds', cluster],
    ['a ClusterLoadAssignment with localities, weights and metadata', 'eds', loadAssignment],
    ['a RouteConfiguration with weighted clusters, retries, mirroring and regex', 'rds', routeConfiguration],
    ['an SDS Secret with inline certificate and bytes key', 'sds', secret],
  ];
  for (const [label, type, json] of cases) {
    test(`${label} is already canonical and survives normalize`, () => {
      assert.deepEqual(normalize(type, json), json);
    });
    test(`${label} survives protobuf encoding and decoding`, () => {
      const any = encodeAny(type, json);
      assert.ok(any.value.length > 0);
      assert.deepEqual(decodeAny(any), json);
    });
  }
});

describe('canonical form', () => {
  test('lowerCamelCase input comes out snake_case with canonical durations', () => {
    const out = normalize('cds', {
      name: 'web',
      connectTimeout: '0.250s',
      outlierDetection: { baseEjectionTime: '30.000s', maxEjectionPercent: 10 },
    });
    assert.deepEqual(out, {
      name: 'web',
      connect_timeout: '0.25s',
      outlier_detection: { base_ejection_time: '30s', max_ejection_percent: 10 },
    });
  });

  test('fields at their proto3 default are left out', () => {
    const out = normalize('cds', {
      name: 'web',
      lb_policy: 'ROUND_ROBIN',
      per_connection_buffer_limit_bytes: 0,
    });
    assert.deepEqual(out, { name: 'web', per_connection_buffer_limit_bytes: 0 });
  });

  test('64-bit integers are numbers, or strings beyond 2^53', () => {
    const small = normalize('cds', { name: 'a', ring_hash_lb_config: { maximum_ring_size: '8388608' } });
    assert.deepEqual(small.ring_hash_lb_config, { maximum_ring_size: 8388608 });
    const huge = normalize('cds', {
      name: 'a',
      ring_hash_lb_config: { maximum_ring_size: '18446744073709551615' },
    });
    assert.deepEqual(huge.ring_hash_lb_config, { maximum_ring_size: '18446744073709551615' });
  });

  test('Struct metadata round-trips as plain JSON, including null and nesting', () => {
    const metadata = {
      filter_metadata: { istio: { labels: { app: 'web' }, list: [1, 'two', null, false] } },
    };
    assert.deepEqual(normalize('cds', { name: 'a', metadata }).metadata, metadata);
  });

  test('a oneof member set to its default is kept (match: { prefix: "" } matches everything)', () => {
    const route = {
      name: 'r',
      virtual_hosts: [
        { name: 'v', domains: ['*'], routes: [{ match: { prefix: '' }, route: { cluster: 'c' } }] },
      ],
    };
    assert.deepEqual(normalize('rds', route), route);
    assert.deepEqual(decodeAny(encodeAny('rds', route)), route);
  });

  test('wrapper values with a default inside are kept (presence matters)', () => {
    const out = normalize('cds', { name: 'a', outlier_detection: { max_ejection_percent: 0 } });
    assert.deepEqual(out.outlier_detection, { max_ejection_percent: 0 });
  });

  test('an Any holding a well-known type carries it under "value"', () => {
    const json = {
      name: 'a',
      typed_extension_protocol_options: {
        x: { '@type': 'type.googleapis.com/google.protobuf.Duration', value: '1.5s' },
      },
    };
    assert.deepEqual(normalize('cds', json), json);
  });

  test('every well-known type inside an Any keeps its special JSON form', () => {
    const wkt = (name: string, value: unknown) => ({
      '@type': `type.googleapis.com/google.protobuf.${name}`,
      value,
    });
    const options = {
      duration: wkt('Duration', '0.000000001s'),
      timestamp: wkt('Timestamp', '2026-11-23T12:00:00.500Z'),
      mask: wkt('FieldMask', 'connectTimeout,lbPolicy'),
      struct: wkt('Struct', { a: [1, { b: null }] }),
      value: wkt('Value', 'text'),
      list: wkt('ListValue', [true, 2]),
      float: wkt('FloatValue', 0.1),
      double: wkt('DoubleValue', 'NaN'),
      big: wkt('Int64Value', '9007199254740993'),
      small: wkt('UInt64Value', 42),
      bytes: wkt('BytesValue', 'AQID'),
      flag: wkt('BoolValue', false),
      empty: { '@type': 'type.googleapis.com/google.protobuf.Empty' },
    };
    const cluster = { name: 'a', typed_extension_protocol_options: options };
    assert.deepEqual(normalize('cds', cluster), cluster);
    assert.deepEqual(decodeAny(encodeAny('cds', cluster)), cluster);
  });

  test('timestamps with offsets are normalised to UTC', () => {
    const json = {
      name: 'a',
      typed_extension_protocol_options: {
        t: { '@type': 'type.googleapis.com/google.protobuf.Timestamp', value: '2026-11-23T14:00:00+02:00' },
      },
    };
    const out = normalize('cds', json) as any;
    assert.equal(out.typed_extension_protocol_options.t.value, '2026-11-23T12:00:00Z');
  });

  test('an Any of a type no loaded proto defines can be kept packed and round-trips', () => {
    const filter = { '@type': 'type.googleapis.com/acme.filters.v1.Magic', '@value': 'CgNmb28=' };
    const listener = { name: 'l', listener_filters: [{ name: 'acme.magic', typed_config: filter }] };
    const any = encodeAny('lds', listener);
    assert.deepEqual(decodeAny(any, { opaqueUnknownAny: true }), listener);
    assert.throws(() => decodeAny(any), {
      code: 'MESH_ERR_XDS_UNKNOWN_TYPE',
      message: 'unknown type "acme.filters.v1.Magic"',
    });
    // Known types are still decoded when the option is on.
    assert.deepEqual(decodeAny(encodeAny('cds', cluster), { opaqueUnknownAny: true }), cluster);
  });

  test('fromEnvoyJson gives a protobufjs message that toEnvoyJson reads back', () => {
    const message = fromEnvoyJson('envoy.config.endpoint.v3.ClusterLoadAssignment', loadAssignment);
    assert.deepEqual(toEnvoyJson('eds', message), loadAssignment);
  });

  test('a @type key in the JSON handed to encodeAny must match the type URL', () => {
    const any = encodeAny('cds', {
      '@type': 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
      name: 'a',
    });
    assert.deepEqual(decodeAny(any), { name: 'a' });
    assert.throws(
      () => encodeAny('cds', { '@type': 'type.googleapis.com/envoy.config.listener.v3.Listener', name: 'a' }),
      { code: 'MESH_ERR_XDS_INVALID' },
    );
  });
});
