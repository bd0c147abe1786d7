import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ProxyConfigError } from '../errors.js';
import { compileListener } from '../listener/listener-config.js';
import { compileTcpProxy, TCP_PROXY_TYPE_URL } from './tcp-proxy-config.js';
import { tcpFilter } from './test-support/tcp-harness.js';

function failsAt(fn: () => unknown, path: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ProxyConfigError, String(e));
    assert.equal(e.path, path);
    return true;
  });
}

function listener(filters: unknown[]): unknown {
  return {
    name: 'l',
    address: { socket_address: { address: '127.0.0.1', port_value: 0 } },
    filter_chains: [{ filters }],
  };
}

describe('tcp_proxy config', () => {
  test('defaults follow Envoy: idle_timeout 1 h, one connect attempt, no duration limit', () => {
    const c = compileTcpProxy({ '@type': TCP_PROXY_TYPE_URL, stat_prefix: 's', cluster: 'c' }, 'p');
    assert.equal(c.idleTimeoutMs, 3_600_000);
    assert.equal(c.maxConnectAttempts, 1);
    assert.equal(c.maxConnectionDurationMs, 0);
    assert.deepEqual(c.clusters, [{ name: 'c', weight: 1 }]);
  });

  test('idle_timeout "0s" disables the timer; max_connect_attempts takes a wrapper', () => {
    const c = compileTcpProxy(
      { stat_prefix: 's', cluster: 'c', idle_timeout: '0s', max_connect_attempts: { value: 3 } },
      'p',
    );
    assert.equal(c.idleTimeoutMs, 0);
    assert.equal(c.maxConnectAttempts, 3);
  });

  test('weighted_clusters keeps the weights and their total', () => {
    const c = compileTcpProxy(
      {
        stat_prefix: 's',
        weighted_clusters: {
          clusters: [
            { name: 'a', weight: 3 },
            { name: 'b', weight: 1 },
          ],
        },
      },
      'p',
    );
    assert.equal(c.totalWeight, 4);
    assert.deepEqual(
      c.clusters.map((x) => x.name),
      ['a', 'b'],
    );
  });

  test('stat_prefix is required', () => {
    failsAt(() => compileTcpProxy({ cluster: 'c' }, 'p'), 'p.stat_prefix');
  });

  test('cluster and weighted_clusters are one of: both, or neither, is an error', () => {
    failsAt(
      () =>
        compileTcpProxy(
          { stat_prefix: 's', cluster: 'c', weighted_clusters: { clusters: [{ name: 'a', weight: 1 }] } },
          'p',
        ),
      'p.weighted_clusters',
    );
    failsAt(() => compileTcpProxy({ stat_prefix: 's' }, 'p'), 'p.cluster');
  });

  test('weighted clusters need at least one entry with a weight of at least 1', () => {
    failsAt(
      () => compileTcpProxy({ stat_prefix: 's', weighted_clusters: { clusters: [] } }, 'p'),
      'p.weighted_clusters.clusters',
    );
    failsAt(
      () =>
        compileTcpProxy(
          { stat_prefix: 's', weighted_clusters: { clusters: [{ name: 'a', weight: 0 }] } },
          'p',
        ),
      'p.weighted_clusters.clusters[0].weight',
    );
  });

  test('max_connect_attempts 0 and unknown fields are rejected by path', () => {
    failsAt(
      () => compileTcpProxy({ stat_prefix: 's', cluster: 'c', max_connect_attempts: 0 }, 'p'),
      'p.max_connect_attempts',
    );
    failsAt(
      () => compileTcpProxy({ stat_prefix: 's', cluster: 'c', tunneling_config: {} }, 'p'),
      'p.tunneling_config',
    );
  });

  test('an unknown access logger is rejected by path', () => {
    failsAt(
      () =>
        compileTcpProxy(
          {
            stat_prefix: 's',
            cluster: 'c',
            access_log: [{ name: 'x', typed_config: { '@type': 'type.googleapis.com/x.Logger' } }],
          },
          'p',
        ),
      'p.access_log[0].typed_config.@type',
    );
  });

  test('in a listener, errors name the filter chain path', () => {
    failsAt(
      () => compileListener(listener([tcpFilter({ stat_prefix: undefined, cluster: 'c' })]), 'listeners[0]'),
      'listeners[0].filter_chains[0].filters[0].typed_config.stat_prefix',
    );
  });

  test('a chain with two network filters is rejected', () => {
    failsAt(
      () =>
        compileListener(listener([tcpFilter({ cluster: 'a' }), tcpFilter({ cluster: 'b' })]), 'listeners[0]'),
      'listeners[0].filter_chains[0].filters',
    );
  });

  test('default_filter_chain alone makes a listener; its errors name it', () => {
    const base = { name: 'l', address: { socket_address: { address: '127.0.0.1', port_value: 0 } } };
    const l = compileListener(
      { ...base, default_filter_chain: { filters: [tcpFilter({ cluster: 'c' })] } },
      'listeners[0]',
    );
    assert.equal(l.defaultChain, 0);
    assert.equal(l.selector, null);
    failsAt(
      () =>
        compileListener(
          { ...base, default_filter_chain: { filters: [tcpFilter({ cluster: '' })] } },
          'listeners[0]',
        ),
      'listeners[0].default_filter_chain.filters[0].typed_config.cluster',
    );
  });

  test('a TCP proxy chain needs no transport_socket to match server_names (TLS passthrough)', () => {
    const l = compileListener(
      {
        name: 'l',
        address: { socket_address: { address: '127.0.0.1', port_value: 0 } },
        filter_chains: [
          {
            filter_chain_match: { server_names: ['a.example.com'], transport_protocol: 'tls' },
            filters: [tcpFilter({ cluster: 'a' })],
          },
          { filter_chain_match: { destination_port: 443 }, filters: [tcpFilter({ cluster: 'b' })] },
        ],
      },
      'listeners[0]',
    );
    assert.notEqual(l.selector, null);
    assert.equal(l.hcm, undefined);
    assert.equal(l.filterChains[1]?.destinationPort, 443);
  });
});
