import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileLabels, compileLoadAssignment } from './load-assignment.js';

const sock = (address: string, port_value: number) => ({ socket_address: { address, port_value } });

test('compiles endpoints with weight, health, priority, locality and hostnames', () => {
  const cla = compileLoadAssignment('cla', {
    cluster_name: 'inventory',
    policy: { overprovisioning_factor: 200 },
    endpoints: [
      {
        locality: { region: 'eu', zone: 'eu-1a', sub_zone: 'rack-7' },
        load_balancing_weight: 3,
        priority: 1,
        lb_endpoints: [
          {
            endpoint: {
              address: sock('10.0.0.7', 8080),
              hostname: 'inventory-0.shop',
              health_check_config: { port_value: 9090, hostname: 'hc.inventory-0.shop' },
            },
            health_status: 'DEGRADED',
            load_balancing_weight: 4,
          },
        ],
      },
    ],
  });
  assert.equal(cla.clusterName, 'inventory');
  assert.equal(cla.overprovisioningFactorPercent, 200);
  assert.deepEqual(cla.hosts[0], {
    address: '10.0.0.7',
    port: 8080,
    weight: 4,
    labels: {},
    locality: { region: 'eu', zone: 'eu-1a', sub_zone: 'rack-7' },
    edsHealth: 'DEGRADED',
    priority: 1,
    healthCheckPort: 9090,
    hostname: 'inventory-0.shop',
    healthCheckHostname: 'hc.inventory-0.shop',
    localityWeight: 3,
  });
});

test('keeps the first of duplicate addresses', () => {
  const cla = compileLoadAssignment('cla', {
    cluster_name: 'x',
    endpoints: [
      { lb_endpoints: [{ endpoint: { address: sock('10.0.0.1', 80) }, load_balancing_weight: 2 }] },
      { lb_endpoints: [{ endpoint: { address: sock('10.0.0.1', 80) }, load_balancing_weight: 9 }] },
    ],
  });
  assert.equal(cla.hosts.length, 1);
  assert.equal(cla.hosts[0].weight, 2);
});

test('labels: envoy.lb wins, other namespaces fill in, scalars are stringified', () => {
  const labels = compileLabels('md', {
    filter_metadata: {
      istio: { version: 'v1', canary: true, replicas: 3, nested: { a: 1 } },
      'envoy.lb': { version: 'v2' },
    },
  });
  assert.deepEqual(labels, { version: 'v2', canary: 'true', replicas: '3' });
});

test('names what is wrong and where', () => {
  assert.throws(() => compileLoadAssignment('cla', { endpoints: [] }), {
    message: 'cla.cluster_name: is required',
  });
  assert.throws(
    () =>
      compileLoadAssignment('cla', {
        cluster_name: 'x',
        endpoints: [{ lb_endpoints: [{ endpoint: { address: { pipe: { path: '/tmp/s' } } } }] }],
      }),
    { message: 'cla.endpoints[0].lb_endpoints[0].endpoint.address.pipe: unsupported field' },
  );
  assert.throws(
    () =>
      compileLoadAssignment('cla', {
        cluster_name: 'x',
        endpoints: [
          { lb_endpoints: [{ endpoint: { address: sock('10.0.0.1', 80) }, load_balancing_weight: 0 }] },
        ],
      }),
    { message: 'cla.endpoints[0].lb_endpoints[0].load_balancing_weight: must be at least 1' },
  );
  assert.throws(() => compileLoadAssignment('cla', { cluster_name: 'x', policy: { drop_overloads: [] } }), {
    message: 'cla.policy.drop_overloads: unsupported field',
  });
});
