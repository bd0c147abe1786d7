import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildPlan, type PlanOptions } from './plan.js';
import { PortAllocator } from './ports.js';
import { parseSystemSpec } from './spec.js';

const SPEC = parseSystemSpec(
  `
spec:
  services:
    - name: inventory
      args: [inventory.js]
      ports: { PORT: http, GRPC_PORT: grpc }
      env: { FEATURE: on }
    - name: catalog
      args: [catalog.js]
      replicas: 2
      versions: [v1, v2]
    - name: orders
      args: [orders.js]
      sidecar: false
      dependsOn: [inventory, catalog]
`,
  '/srv/shop/system.yaml',
);

const base: PlanOptions = {
  mesh: false,
  discovery: 'static',
  cliBin: '/cli/bin/meshwork.js',
  node: '/usr/bin/node',
  dataDir: '/state/data',
  logLevel: 'warn',
  namespace: 'default',
  gatewayPort: 8080,
  controlPlanePort: 15080,
  xdsPort: 15010,
};

const app = (plan: Awaited<ReturnType<typeof buildPlan>>, id: string) =>
  plan.tiers.flatMap((t) => t.apps).find((c) => c.id === id)!;

describe('plan', () => {
  test('direct mode: no control plane, every instance gets every fixed endpoint list', async () => {
    const plan = await buildPlan(SPEC, base, new PortAllocator());
    assert.equal(plan.controlPlane, undefined);
    assert.equal(plan.gateway, undefined);
    assert.deepEqual(
      plan.tiers.map((t) => t.apps.map((a) => a.id)),
      [['inventory-1', 'catalog-1', 'catalog-2'], ['orders-1']],
    );
    const orders = app(plan, 'orders-1');
    assert.equal(orders.env.MESHWORK_ENDPOINTS_CATALOG?.split(',').length, 2);
    assert.match(orders.env.MESHWORK_ENDPOINTS_INVENTORY_GRPC ?? '', /^127\.0\.0\.1:\d+$/);
    assert.equal(orders.env.MESHWORK_CONTROL_PLANE, undefined);
    const inventory = app(plan, 'inventory-1');
    assert.equal(inventory.env.FEATURE, 'on');
    assert.equal(inventory.env.MESHWORK_INSTANCE_ID, 'inventory-1');
    assert.equal(inventory.env.LOG_LEVEL, 'warn');
    assert.equal(inventory.command, '/usr/bin/node');
    assert.equal(inventory.cwd, '/srv/shop');
    assert.deepEqual(Object.keys(inventory.ports), ['app', 'grpc']);
    assert.equal(
      inventory.readiness && 'http' in inventory.readiness && inventory.readiness.http,
      `http://127.0.0.1:${inventory.ports.app}/health/ready`,
    );
    assert.equal(app(plan, 'catalog-2').env.MESHWORK_VERSION, 'v2');
  });

  test('every allocated port is distinct', async () => {
    const plan = await buildPlan(
      SPEC,
      { ...base, mesh: true, discovery: 'registry', sidecars: 'per-instance' },
      new PortAllocator(),
    );
    const all = [...plan.tiers.flatMap((t) => [...t.apps, ...t.sidecars]), plan.gateway!].flatMap((c) =>
      Object.values(c.ports),
    );
    const allocated = all.filter((p) => p !== 8080);
    assert.equal(new Set(allocated).size, allocated.length);
  });

  test('mesh mode: a sidecar per instance with xDS node identity, apps told their sidecar ports', async () => {
    const plan = await buildPlan(
      SPEC,
      { ...base, mesh: true, discovery: 'registry', sidecars: 'per-instance' },
      new PortAllocator(),
    );
    assert.equal(plan.sidecarHost, undefined);
    assert.deepEqual(plan.controlPlane!.args.slice(1, 6), [
      'control-plane',
      '--rest-port',
      '15080',
      '--xds-port',
      '15010',
    ]);
    const sidecars = plan.tiers.flatMap((t) => t.sidecars);
    assert.deepEqual(
      sidecars.map((s) => s.id),
      ['inventory-1.sidecar', 'catalog-1.sidecar', 'catalog-2.sidecar'],
      'orders has sidecar: false',
    );
    const side = sidecars[0];
    const arg = (name: string) => side.args[side.args.indexOf(name) + 1];
    assert.equal(arg('--xds'), '127.0.0.1:15010');
    assert.equal(arg('--node-id'), 'inventory-1');
    assert.equal(arg('--service'), 'inventory');
    assert.equal(arg('--mode'), 'sidecar');
    const inventory = app(plan, 'inventory-1');
    assert.equal(arg('--app-port'), String(inventory.ports.app));
    assert.equal(inventory.env.MESHWORK_SIDECAR_OUTBOUND_PORT, arg('--outbound-port'));
    assert.equal(inventory.env.MESHWORK_SIDECAR_INBOUND_PORT, arg('--inbound-port'));
    assert.equal(inventory.env.MESHWORK_CONTROL_PLANE, 'http://127.0.0.1:15080');
    assert.equal(inventory.env.MESHWORK_ENDPOINTS_CATALOG, undefined);
    const orders = app(plan, 'orders-1');
    assert.equal(
      orders.env.MESHWORK_SIDECAR_OUTBOUND_PORT,
      undefined,
      'no sidecar: proxyless via the registry',
    );
    assert.equal(orders.env.MESHWORK_CONTROL_PLANE, 'http://127.0.0.1:15080');
    const gw = plan.gateway!;
    assert.equal(gw.args[gw.args.indexOf('--mode') + 1], 'gateway');
    assert.deepEqual(gw.readiness, { tcp: { host: '127.0.0.1', port: 8080 } });
  });

  test('mesh mode with shared sidecars: one host process runs every instance sidecar', async () => {
    const plan = await buildPlan(SPEC, { ...base, mesh: true, discovery: 'registry' }, new PortAllocator());
    assert.equal(plan.tiers.flatMap((t) => t.sidecars).length, 0);
    const host = plan.sidecarHost!;
    assert.equal(host.component.id, 'proxies');
    assert.equal(plan.gateway, undefined, 'the gateway is hosted too');
    assert.equal(host.spec.gateway?.nodeId, 'gateway');
    assert.equal(host.component.ports.http, 8080);
    assert.deepEqual(host.component.args, ['/cli/dist/up/sidecar-host.js', '/state/data/sidecar-host.json']);
    assert.equal(host.spec.xds, '127.0.0.1:15010');
    assert.deepEqual(
      host.spec.sidecars.map((s) => s.nodeId),
      ['inventory-1', 'catalog-1', 'catalog-2'],
    );
    const catalog2 = host.spec.sidecars[2];
    assert.deepEqual(catalog2.labels, { app: 'catalog', version: 'v2' });
    const app2 = app(plan, 'catalog-2');
    assert.equal(app2.env.MESHWORK_SIDECAR_OUTBOUND_PORT, String(catalog2.outboundPort));
    assert.equal(catalog2.appPort, app2.ports.app);
    const readiness = host.component.readiness as { all: unknown[] };
    assert.deepEqual(readiness.all, [
      ...host.spec.sidecars.map((s) => ({ http: `http://127.0.0.1:${s.adminPort}/ready` })),
      { tcp: { host: '127.0.0.1', port: 8080 } },
    ]);
  });

  test('proxyless mode: control plane, no proxies, discovery through the registry', async () => {
    const plan = await buildPlan(SPEC, { ...base, discovery: 'registry' }, new PortAllocator());
    assert.ok(plan.controlPlane);
    assert.equal(plan.gateway, undefined);
    assert.equal(plan.tiers.flatMap((t) => t.sidecars).length, 0);
    const orders = app(plan, 'orders-1');
    assert.equal(orders.env.MESHWORK_CONTROL_PLANE, 'http://127.0.0.1:15080');
    assert.equal(orders.env.MESHWORK_ENDPOINTS_CATALOG, undefined);
    assert.equal(orders.env.GRPC_XDS_BOOTSTRAP, '/state/data/xds-bootstrap/orders-1.json');
  });

  test('instances without a sidecar get an xDS bootstrap for their gRPC clients', async () => {
    const direct = await buildPlan(SPEC, base, new PortAllocator());
    assert.ok(
      direct.instances.every((i) => i.xdsBootstrap === undefined),
      'no control plane, no xDS',
    );
    const proxyless = await buildPlan(SPEC, { ...base, discovery: 'registry' }, new PortAllocator());
    assert.equal(proxyless.instances.filter((i) => i.xdsBootstrap).length, 4);
    const mesh = await buildPlan(SPEC, { ...base, mesh: true, discovery: 'registry' }, new PortAllocator());
    assert.deepEqual(
      mesh.instances.filter((i) => i.xdsBootstrap).map((i) => i.id),
      ['orders-1'],
      'with a sidecar, gRPC goes through it',
    );
  });
});
