import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { XdsCodecError } from '../errors.js';
import { decodeAny, normalize } from './any.js';
import { fromEnvoyJson } from './from-json.js';

function rejects(fn: () => unknown, message: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof XdsCodecError, `expected XdsCodecError, got ${err}`);
    assert.equal(err.code, 'MESH_ERR_XDS_INVALID');
    assert.equal(err.message, message);
    return true;
  });
}

describe('codec errors name the field path', () => {
  test('a bad duration inside a bootstrap', () => {
    const bootstrap = { static_resources: { clusters: [{ name: 'a', connect_timeout: '5x' }] } };
    rejects(
      () => fromEnvoyJson('envoy.config.bootstrap.v3.Bootstrap', bootstrap),
      'static_resources.clusters[0].connect_timeout: invalid duration "5x"',
    );
  });

  test('an unknown field', () => {
    rejects(
      () => normalize('cds', { name: 'a', circuit_breakers: { thresholds: [{ max_conections: 1 }] } }),
      'circuit_breakers.thresholds[0].max_conections: unknown field "max_conections" in envoy.config.cluster.v3.CircuitBreakers.Thresholds',
    );
  });

  test('a bad enum name lists the allowed ones', () => {
    assert.throws(() => normalize('cds', { name: 'a', type: 'DNS' }), {
      code: 'MESH_ERR_XDS_INVALID',
      message:
        /^type: invalid enum value "DNS" for envoy.config.cluster.v3.Cluster.DiscoveryType \(expected one of STATIC, STRICT_DNS, LOGICAL_DNS, EDS, ORIGINAL_DST\)$/,
    });
  });

  test('type mismatches', () => {
    rejects(() => normalize('cds', { name: 7 }), 'name: expected string, got number 7');
    rejects(
      () => normalize('eds', { cluster_name: 'a', endpoints: { lb_endpoints: [] } }),
      'endpoints: expected an array, got object',
    );
    rejects(
      () =>
        normalize('eds', {
          cluster_name: 'a',
          endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { port_value: -1 } } } }] }],
        }),
      'endpoints[0].lb_endpoints[0].endpoint.address.socket_address.port_value: uint32 out of range: -1',
    );
    rejects(
      () => normalize('cds', { name: 'a', respect_dns_ttl: 'yes' }),
      'respect_dns_ttl: expected boolean, got string "yes"',
    );
  });

  test('errors inside an Any carry the outer path', () => {
    const listener = {
      name: 'l',
      filter_chains: [
        {
          filters: [
            {
              name: 'hcm',
              typed_config: {
                '@type':
                  'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
                stream_idle_timeout: 'forever',
              },
            },
          ],
        },
      ],
    };
    rejects(
      () => normalize('lds', listener),
      'filter_chains[0].filters[0].typed_config.stream_idle_timeout: invalid duration "forever"',
    );
  });

  test('an Any without @type, or naming an unknown type', () => {
    rejects(
      () => normalize('lds', { name: 'l', listener_filters: [{ name: 'x', typed_config: { foo: 1 } }] }),
      'listener_filters[0].typed_config.@type: an Any needs a "@type" naming its message type',
    );
    assert.throws(
      () =>
        normalize('lds', {
          name: 'l',
          listener_filters: [{ name: 'x', typed_config: { '@type': 'type.googleapis.com/no.Such' } }],
        }),
      {
        code: 'MESH_ERR_XDS_UNKNOWN_TYPE',
        message: 'listener_filters[0].typed_config.@type: unknown type "no.Such"',
      },
    );
  });

  test('an opaque Any with anything besides "@type" and "@value"', () => {
    rejects(
      () =>
        normalize('lds', {
          name: 'l',
          listener_filters: [
            { name: 'x', typed_config: { '@type': 'type.googleapis.com/a.B', '@value': 'AA==', x: 1 } },
          ],
        }),
      'listener_filters[0].typed_config.x: an opaque Any carries only "@type" and "@value"',
    );
  });

  test('two members of one oneof', () => {
    rejects(
      () =>
        normalize('rds', {
          name: 'r',
          virtual_hosts: [{ name: 'v', domains: ['*'], routes: [{ match: { prefix: '/', path: '/a' } }] }],
        }),
      'virtual_hosts[0].routes[0].match.path: "path" and "prefix" are both set but belong to the same oneof "path_specifier"',
    );
  });

  test('the same field under its snake_case and camelCase names', () => {
    rejects(
      () => normalize('cds', { name: 'a', connect_timeout: '1s', connectTimeout: '2s' }),
      'connect_timeout: field given twice',
    );
  });

  test('undecodable bytes', () => {
    assert.throws(
      () =>
        decodeAny({
          type_url: 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
          value: Uint8Array.of(0x0a, 0xff),
        }),
      {
        code: 'MESH_ERR_XDS_INVALID',
      },
    );
  });
});
