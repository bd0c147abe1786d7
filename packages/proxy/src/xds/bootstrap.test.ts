import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ProxyConfigError } from '../errors.js';
import { buildBootstrap, staticCluster } from '../test-support/harness.js';
import '../filters/index.js';
import { compileListener } from '../listener/listener-config.js';
import { loadBootstrap, parseBootstrap } from './bootstrap.js';
import { ConfigStore } from './config-store.js';

const base = () =>
  buildBootstrap({
    routes: [{ match: { prefix: '/' }, route: { cluster: 'b' } }],
    clusters: [staticCluster('b', [1])],
  });

async function expectConfigError(fn: () => Promise<unknown>, path: string | RegExp): Promise<void> {
  await assert.rejects(fn, (e: unknown) => {
    assert.ok(e instanceof ProxyConfigError, String(e));
    if (typeof path === 'string') assert.equal(e.path, path);
    else assert.match(e.message, path);
    return true;
  });
}

describe('bootstrap loading', () => {
  test('YAML with camelCase fields is accepted as Envoy accepts it', async () => {
    const yaml = `
node: { id: n1, cluster: c1 }
admin: { address: { socketAddress: { address: 127.0.0.1, portValue: 9901 } } }
static_resources:
  clusters:
  - name: b
    connectTimeout: 0.25s
    type: STATIC
    loadAssignment: { clusterName: b, endpoints: [{ lbEndpoints: [{ endpoint: { address: { socketAddress: { address: 127.0.0.1, portValue: 80 } } } }] }] }
`;
    const b = await parseBootstrap(yaml);
    assert.deepEqual(b.admin, { address: '127.0.0.1', port: 9901 });
    assert.equal(b.node.id, 'n1');
    assert.equal((b.clusters[0] as { connect_timeout: string }).connect_timeout, '0.25s');
  });

  test('a field unknown to Envoy is rejected with its path', async () => {
    const b = base() as { static_resources: { clusters: Array<Record<string, unknown>> } };
    b.static_resources.clusters[0].conect_timeout = '1s';
    await expectConfigError(() => parseBootstrap(JSON.stringify(b)), /static_resources\.clusters\[0\]/);
  });

  test('an Envoy field this proxy does not support is rejected with its path', async () => {
    const b = base() as any;
    b.static_resources.listeners[0].filter_chains[0].filters[0].typed_config.route_config.virtual_hosts[0].routes[0].route =
      { cluster_header: 'x-cluster' };
    const parsed = await parseBootstrap(JSON.stringify(b));
    const store = new ConfigStore();
    await assert.rejects(store.applyListeners(parsed.listeners), (e: unknown) => {
      assert.ok(e instanceof ProxyConfigError);
      assert.equal(
        e.path,
        'listeners[0].filter_chains[0].filters[0].typed_config.route_config.virtual_hosts[0].routes[0].route.cluster_header',
      );
      return true;
    });
    await store.close();
  });

  test('an unknown HTTP filter is rejected naming it', async () => {
    const b = base() as any;
    b.static_resources.listeners[0].filter_chains[0].filters[0].typed_config.http_filters.unshift({
      name: 'envoy.filters.http.lua',
      typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua' },
    });
    const parsed = await parseBootstrap(JSON.stringify(b));
    const store = new ConfigStore();
    await assert.rejects(
      store.applyListeners(parsed.listeners),
      /unknown HTTP filter "envoy.filters.http.lua"/,
    );
    await store.close();
  });

  test('invalid YAML is a config error naming the source', async () => {
    await expectConfigError(() => parseBootstrap('a: [1, 2', 'boot.yaml'), 'boot.yaml');
  });
});

describe('loading a bootstrap file', () => {
  test('loadBootstrap canonicalises in a child process and reports config errors with their path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bootstrap-'));
    const good = join(dir, 'good.yaml');
    writeFileSync(
      good,
      'node: { id: a }\nadmin: { address: { socket_address: { address: 127.0.0.1, port_value: 1 } } }\n',
    );
    const b = await loadBootstrap(good);
    assert.equal(b.node.id, 'a');
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'admin: { address: { socket_address: { address: 127.0.0.1, port_value: "x" } } }\n');
    await expectConfigError(() => loadBootstrap(bad), /admin\.address\.socket_address\.port_value/);
    await expectConfigError(() => loadBootstrap(join(dir, 'missing.yaml')), join(dir, 'missing.yaml'));
  });
});

describe('the bootstrap example in docs/proxy.md', () => {
  test('loads and compiles (the documentation cannot drift from what the proxy accepts)', async () => {
    const doc = readFileSync(new URL('../../../../docs/proxy.md', import.meta.url), 'utf8');
    const start = doc.indexOf('```yaml\nnode: { id: gateway-1');
    assert.ok(start >= 0, 'example present');
    let yaml = doc.slice(start + 8, doc.indexOf('```\n', start + 8));
    for (const [name, port] of [
      ['api-v2', 9002],
      ['reviews', 9003],
      ['web', 9004],
    ] as const) {
      yaml += `  - name: ${name}\n    type: STATIC\n    connect_timeout: 0.25s\n    load_assignment:\n      cluster_name: ${name}\n      endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: ${port} } } } }] }]\n`;
    }
    const b = await parseBootstrap(yaml, 'docs/proxy.md');
    const listener = compileListener(b.listeners[0], 'listeners[0]');
    assert.equal(listener.name, 'http');
    assert.equal(b.clusters.length, 4);
  });
});

describe('runtime updates', () => {
  test('a rejected route update leaves the previous routes serving', () => {
    const store = new ConfigStore();
    store.applyRouteConfigurations([
      {
        name: 'r',
        virtual_hosts: [
          { name: 'a', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'one' } }] },
        ],
      },
    ]);
    const before = store.getRouteTable('r');
    assert.throws(
      () =>
        store.applyRouteConfigurations([
          {
            name: 'r',
            virtual_hosts: [
              {
                name: 'a',
                domains: ['*'],
                routes: [{ match: { prefix: '/' }, route: { cluster: 'two', bad: 1 } }],
              },
            ],
          },
        ]),
      ProxyConfigError,
    );
    assert.equal(store.getRouteTable('r'), before);
    void store.close();
  });
});
