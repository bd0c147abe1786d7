import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isControlPlaneError } from '../errors.js';
import { Registry, type RegistryChange } from './registry.js';

function setup(ttlMs = 1000) {
  let nowMs = 1_000_000;
  const registry = new Registry({ now: () => nowMs, autoSweep: false, defaultTtlMs: ttlMs });
  const changes: RegistryChange[] = [];
  registry.onChange((c) => changes.push(c));
  return { registry, changes, advance: (ms: number) => (nowMs += ms) };
}

const inventory = (id: string, extra: Record<string, unknown> = {}) => ({
  service: 'inventory',
  instanceId: id,
  address: '127.0.0.1',
  port: 7000,
  sidecarPort: 17000,
  version: 'v1',
  ...extra,
});

describe('Registry', () => {
  test('registration yields the instance, its SPIFFE id and an endpoint for the translator', () => {
    const { registry, changes } = setup();
    const r = registry.register(inventory('inventory-1', { serviceAccount: 'inv-sa' }));
    assert.equal(r.spiffeId, 'spiffe://cluster.local/ns/default/sa/inv-sa');
    assert.deepEqual(r.labels, { version: 'v1' });
    assert.deepEqual(
      changes.map((c) => [c.reason, c.host, c.servicesChanged]),
      [['registered', 'inventory.default.svc.cluster.local', true]],
    );
    const eps = registry.endpointsOf('inventory', 'default');
    assert.deepEqual(
      eps.map((e) => [e.id, e.port, e.sidecarPort, e.health]),
      [['inventory-1', 7000, 17000, 'HEALTHY']],
    );
    assert.deepEqual(
      [...registry.registeredServices()],
      [{ name: 'inventory', namespace: 'default', protocol: 'http', ports: [7000] }],
    );
  });

  test('an instance that misses its TTL leaves the endpoints and a heartbeat brings it back', () => {
    const { registry, changes, advance } = setup(1000);
    registry.register(inventory('inventory-1'));
    advance(900);
    registry.sweep();
    assert.equal(registry.endpointsOf('inventory', 'default').length, 1);
    advance(200);
    registry.sweep();
    assert.equal(registry.endpointsOf('inventory', 'default').length, 0);
    assert.equal(changes.at(-1)?.reason, 'expired');
    registry.heartbeat('inventory-1');
    assert.equal(registry.endpointsOf('inventory', 'default').length, 1);
    assert.equal(changes.at(-1)?.reason, 'revived');
  });

  test('a long-dead instance is forgotten, so its heartbeat answers not found', () => {
    const { registry, advance } = setup(1000);
    registry.register(inventory('inventory-1'));
    advance(6001);
    registry.sweep();
    assert.equal(registry.get('inventory-1'), undefined);
    assert.throws(
      () => registry.heartbeat('inventory-1'),
      (e) => isControlPlaneError(e, 'MESH_ERR_CP_NOT_FOUND'),
    );
  });

  test('readiness gates traffic', () => {
    const { registry } = setup();
    registry.register(inventory('inventory-1'));
    registry.setReady('inventory-1', false);
    assert.equal(registry.endpointsOf('inventory', 'default').length, 0);
    registry.setReady('inventory-1', true);
    assert.equal(registry.endpointsOf('inventory', 'default').length, 1);
  });

  test('active checks apply unhealthy and healthy thresholds', () => {
    const { registry, changes } = setup();
    registry.register(
      inventory('inventory-1', { healthCheck: { type: 'http', unhealthyThreshold: 2, healthyThreshold: 2 } }),
    );
    registry.recordCheck('inventory-1', true);
    registry.recordCheck('inventory-1', false, 'HTTP 500');
    assert.equal(
      registry.endpointsOf('inventory', 'default').length,
      1,
      'one failure is below the threshold',
    );
    registry.recordCheck('inventory-1', false, 'HTTP 500');
    assert.equal(registry.endpointsOf('inventory', 'default').length, 0);
    assert.equal(registry.get('inventory-1')?.lastCheckError, 'HTTP 500');
    registry.recordCheck('inventory-1', true);
    assert.equal(
      registry.endpointsOf('inventory', 'default').length,
      0,
      'one pass is below the healthy threshold',
    );
    registry.recordCheck('inventory-1', true);
    assert.equal(registry.endpointsOf('inventory', 'default').length, 1);
    assert.deepEqual(changes.filter((c) => c.reason === 'health').length, 2);
  });

  test('an outlier report demotes the instance to DEGRADED until the ejection ends', () => {
    const { registry, advance } = setup(60_000);
    registry.register(inventory('inventory-1'));
    registry.reportOutlier('inventory-1', 5000);
    assert.equal(registry.endpointsOf('inventory', 'default')[0].health, 'DEGRADED');
    advance(5001);
    registry.sweep();
    assert.equal(registry.endpointsOf('inventory', 'default')[0].health, 'HEALTHY');
  });

  test('deregistering the last instance reports that the service set changed', () => {
    const { registry, changes } = setup();
    registry.register(inventory('inventory-1'));
    registry.register(inventory('inventory-2'));
    assert.equal(registry.deregister('inventory-1'), true);
    assert.equal(changes.at(-1)?.servicesChanged, false);
    registry.deregister('inventory-2');
    assert.equal(changes.at(-1)?.servicesChanged, true);
    assert.equal(registry.deregister('inventory-2'), false);
  });

  test('only a first instance or a new port changes the service set', () => {
    const { registry, changes } = setup();
    registry.register(inventory('inventory-1'));
    registry.register(inventory('inventory-2'));
    registry.register(inventory('inventory-3', { port: 7001 }));
    assert.deepEqual(
      changes.map((c) => c.servicesChanged),
      [true, false, true],
    );
    registry.deregister('inventory-3');
    assert.equal(changes.at(-1)?.servicesChanged, true, 'port 7001 is gone');
    registry.deregister('inventory-2');
    assert.equal(changes.at(-1)?.servicesChanged, false);
  });

  test('an instance id cannot move to another service', () => {
    const { registry } = setup();
    registry.register(inventory('x-1'));
    assert.throws(
      () => registry.register({ ...inventory('x-1'), service: 'payments' }),
      (e) => isControlPlaneError(e, 'MESH_ERR_CP_REGISTRY') && e.status === 409,
    );
  });

  test('a blocking query returns when the service changes', async () => {
    const { registry } = setup();
    registry.register(inventory('inventory-1'));
    const index = registry.serviceIndexOf('inventory', 'default');
    const waiting = registry.waitForChange('inventory', 'default', index, 5000);
    registry.register({ ...inventory('inventory-2') });
    assert.ok((await waiting) > index);
    assert.equal(
      await registry.waitForChange('inventory', 'default', index, 5000),
      registry.serviceIndexOf('inventory', 'default'),
    );
    registry.close();
  });

  test('a blocking query times out with the unchanged index', async () => {
    const { registry } = setup();
    registry.register(inventory('inventory-1'));
    const index = registry.serviceIndexOf('inventory', 'default');
    assert.equal(await registry.waitForChange('inventory', 'default', index, 20), index);
  });
});
