import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Registry } from '../registry/registry.js';
import type { StoredResource } from '../resources/resource.js';
import { EXTENSION_TYPES } from './envoy.js';
import { parseProxyNode } from './proxy-node.js';
import { storedResource } from './test-resources.js';
import { Translator } from './translator.js';

const res = storedResource;

const DB = res('Service', 'db', { selector: { app: 'db' }, ports: [{ port: 5432, name: 'tcp-postgres' }] });
const DB_RULE = res('DestinationRule', 'db', {
  host: 'db',
  subsets: [
    { name: 'primary', labels: { role: 'primary' } },
    { name: 'replica', labels: { role: 'replica' } },
  ],
});
const EGRESS = res('Sidecar', 'default', {
  egress: [
    { port: { number: 15432, protocol: 'TCP', name: 'tcp-db' }, hosts: ['./db.default.svc.cluster.local'] },
    { port: { number: 15080, protocol: 'HTTP', name: 'http' }, bind: '127.0.0.2', hosts: ['./*'] },
    { hosts: ['./*'] },
  ],
});

function setup(resources: StoredResource[]) {
  const t = new Translator(new Registry({ autoSweep: false }));
  t.setResources(resources);
  return t;
}

const sidecar = (extra: Record<string, unknown> = {}) =>
  parseProxyNode({ id: 'p', metadata: { mode: 'sidecar', outbound_port: 15001, ...extra } });
const gateway = () => parseProxyNode({ id: 'gw', metadata: { mode: 'gateway' } });

function tcpProxyOf(listener: any, chain = 0): any {
  const filter = listener.filter_chains[chain].filters[0];
  assert.equal(filter.name, 'envoy.filters.network.tcp_proxy');
  assert.equal(filter.typed_config['@type'], EXTENSION_TYPES.TCP_PROXY);
  return filter.typed_config;
}

describe('Translator: TCP and TLS routes', () => {
  test('a Sidecar egress port for a TCP service becomes a TCP listener to that service', () => {
    const snap = setup([DB, EGRESS]).snapshot(sidecar());
    const listener = snap.listeners.get('127.0.0.1_15432') as any;
    assert.deepEqual(listener.address, { socket_address: { address: '127.0.0.1', port_value: 15432 } });
    assert.deepEqual(tcpProxyOf(listener), {
      '@type': EXTENSION_TYPES.TCP_PROXY,
      stat_prefix: 'outbound_15432',
      cluster: 'outbound|5432||db.default.svc.cluster.local',
    });
    assert.ok(snap.clusters.has('outbound|5432||db.default.svc.cluster.local'));
  });

  test('an HTTP egress port routes by Host with the outbound table, on its bind address', () => {
    const snap = setup([DB, EGRESS]).snapshot(sidecar());
    const listener = snap.listeners.get('127.0.0.2_15080') as any;
    const hcm = listener.filter_chains[0].filters[0].typed_config;
    assert.equal(hcm.rds.route_config_name, 'outbound');
    assert.equal(listener.address.socket_address.address, '127.0.0.2');
  });

  test('tcp routes of the VirtualService split connections between subsets', () => {
    const snap = setup([
      DB,
      DB_RULE,
      EGRESS,
      res('VirtualService', 'db', {
        hosts: ['db'],
        tcp: [
          { match: [{ port: 9999 }], route: [{ destination: { host: 'db', subset: 'replica' } }] },
          {
            match: [{ port: 5432 }],
            route: [
              { destination: { host: 'db', subset: 'primary' }, weight: 80 },
              { destination: { host: 'db', subset: 'replica' }, weight: 20 },
            ],
          },
        ],
      }),
    ]).snapshot(sidecar());
    // The local port is 15432; the routes match on the service's port, 5432.
    assert.deepEqual(tcpProxyOf(snap.listeners.get('127.0.0.1_15432')).weighted_clusters, {
      clusters: [
        { name: 'outbound|5432|primary|db.default.svc.cluster.local', weight: 80 },
        { name: 'outbound|5432|replica|db.default.svc.cluster.local', weight: 20 },
      ],
    });
  });

  test('an egress port naming no service with a TCP port gets no listener', () => {
    const snap = setup([
      res('Service', 'web', { selector: { app: 'web' }, ports: [{ port: 80, name: 'http' }] }),
      res('Sidecar', 'default', { egress: [{ port: { number: 15432, protocol: 'TCP' }, hosts: ['./*'] }] }),
    ]).snapshot(sidecar());
    assert.equal(snap.listeners.has('127.0.0.1_15432'), false);
  });

  test('a sidecar whose app port speaks TCP gets a TCP inbound listener', () => {
    const t = setup([DB]);
    const snap = t.snapshot(
      sidecar({ service: 'db', inbound_port: 15006, app_port: 5432, labels: { app: 'db' } }),
    );
    const inbound = snap.listeners.get('inbound') as any;
    assert.deepEqual(tcpProxyOf(inbound), {
      '@type': EXTENSION_TYPES.TCP_PROXY,
      stat_prefix: 'inbound_15006',
      cluster: 'inbound|5432||',
    });
  });

  test('gateway TCP servers forward to the bound tcp route; TLS passthrough servers choose by SNI', () => {
    const snap = setup([
      DB,
      DB_RULE,
      res('Service', 'web', { selector: { app: 'web' }, ports: [{ port: 8443, name: 'tls' }] }),
      res('Gateway', 'edge', {
        servers: [
          { port: { number: 5432, name: 'tcp', protocol: 'TCP' }, hosts: ['*'] },
          {
            port: { number: 443, name: 'tls', protocol: 'TLS' },
            hosts: ['*.example.com'],
            tls: { mode: 'PASSTHROUGH' },
          },
        ],
      }),
      res('VirtualService', 'db-edge', {
        hosts: ['*'],
        gateways: ['edge'],
        tcp: [{ match: [{ port: 5432 }], route: [{ destination: { host: 'db', subset: 'primary' } }] }],
      }),
      res('VirtualService', 'web-edge', {
        hosts: ['*.example.com'],
        gateways: ['edge'],
        tls: [
          {
            match: [{ sniHosts: ['web.example.com'], port: 443 }],
            route: [{ destination: { host: 'web' } }],
          },
          {
            match: [{ sniHosts: ['db.example.com'] }],
            route: [{ destination: { host: 'db', port: { number: 5432 } } }],
          },
        ],
      }),
    ]).snapshot(gateway());
    const tcp = snap.listeners.get('0.0.0.0_5432') as any;
    assert.equal(tcp.listener_filters, undefined);
    assert.equal(tcpProxyOf(tcp).cluster, 'outbound|5432|primary|db.default.svc.cluster.local');
    const tls = snap.listeners.get('0.0.0.0_443') as any;
    assert.equal(tls.listener_filters[0].name, 'envoy.filters.listener.tls_inspector');
    assert.deepEqual(
      tls.filter_chains.map((c: any) => [c.filter_chain_match, tcpProxyOf({ filter_chains: [c] }).cluster]),
      [
        [
          { server_names: ['web.example.com'], transport_protocol: 'tls' },
          'outbound|8443||web.default.svc.cluster.local',
        ],
        [
          { server_names: ['db.example.com'], transport_protocol: 'tls' },
          'outbound|5432||db.default.svc.cluster.local',
        ],
      ],
    );
    // The gateway gets the clusters its TCP and TLS routes send to.
    assert.ok(snap.clusters.has('outbound|5432|primary|db.default.svc.cluster.local'));
    assert.ok(snap.clusters.has('outbound|8443||web.default.svc.cluster.local'));
  });
});
