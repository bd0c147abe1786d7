import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SpecError } from './errors.js';
import { loadSystemSpec, parseSystemSpec, portServiceName, tiers } from './spec.js';

const TWO = `
apiVersion: meshwork.dev/v1alpha1
kind: System
metadata: { name: two }
spec:
  mesh: [mesh.yaml]
  services:
    - name: greeter
      command: node
      args: [greeter.mjs]
      replicas: 2
      versions: [v1, v2]
      env: { GREETING: hello, RETRIES: 3 }
      health: { ready: /ready, timeoutMs: 5000 }
    - name: front
      args: [front.mjs]
      ports: { PORT: http, GRPC_PORT: grpc }
      sidecar: false
      dependsOn: [greeter]
`;

function specError(text: string): SpecError {
  try {
    parseSystemSpec(text, '/x/sys.yaml');
  } catch (err) {
    assert.ok(err instanceof SpecError);
    assert.equal(err.code, 'MESH_ERR_UP_SPEC');
    return err;
  }
  assert.fail('expected a SpecError');
}

describe('system spec', () => {
  test('a valid spec gets defaults and absolute paths', () => {
    const spec = parseSystemSpec(TWO, '/srv/app/system.yaml');
    assert.equal(spec.name, 'two');
    assert.deepEqual(spec.mesh, ['/srv/app/mesh.yaml']);
    const [greeter, front] = spec.services;
    assert.equal(greeter.replicas, 2);
    assert.deepEqual(greeter.versions, ['v1', 'v2']);
    assert.deepEqual(greeter.env, { GREETING: 'hello', RETRIES: '3' });
    assert.deepEqual(greeter.ports, { PORT: 'http' });
    assert.equal(greeter.health.ready, '/ready');
    assert.equal(greeter.health.live, '/health/live');
    assert.equal(greeter.sidecar, true);
    assert.equal(greeter.cwd, '/srv/app');
    assert.equal(front.command, 'node');
    assert.equal(front.sidecar, false);
  });

  test('dependencies order services into tiers', () => {
    const spec = parseSystemSpec(TWO, '/x/sys.yaml');
    assert.deepEqual(
      tiers(spec.services).map((t) => t.map((s) => s.name)),
      [['greeter'], ['front']],
    );
  });

  test('extra ports become their own logical services', () => {
    const front = parseSystemSpec(TWO, '/x/sys.yaml').services[1];
    assert.equal(portServiceName(front, 'PORT'), 'front');
    assert.equal(portServiceName(front, 'GRPC_PORT'), 'front-grpc');
  });

  test('errors name the file and the path of the bad value', () => {
    assert.match(
      specError(TWO.replace('replicas: 2', 'replicas: 0')).message,
      /sys\.yaml: spec\.services\[0\]\.replicas: must be an integer/,
    );
    assert.match(
      specError(TWO.replace('[v1, v2]', '[v1]')).message,
      /spec\.services\[0\]\.versions: must list one version string per replica \(2\)/,
    );
    assert.match(
      specError(TWO.replace('GRPC_PORT: grpc', 'GRPC_PORT: udp')).message,
      /spec\.services\[1\]\.ports\.GRPC_PORT: must be "http" or "grpc", got "udp"/,
    );
    assert.match(
      specError(TWO.replace('dependsOn: [greeter]', 'dependsOn: [nope]')).message,
      /dependsOn\[0\]: unknown service "nope"/,
    );
    assert.match(
      specError(TWO.replace('name: front', 'name: greeter')).message,
      /"greeter" is defined twice/,
    );
    assert.match(specError(TWO.replace('name: front', 'name: Front_1')).message, /must be a DNS label/);
    assert.match(specError('kind: Deployment\nspec: {services: []}').message, /kind: must be "System"/);
    assert.match(specError('spec: { services: [] }').message, /spec\.services: must be a non-empty list/);
    assert.match(specError('a: [').message, /not valid YAML/);
  });

  test('a dependency cycle is reported with its members', () => {
    const cyclic = TWO.replace(
      '      args: [greeter.mjs]',
      '      args: [greeter.mjs]\n      dependsOn: [front]',
    );
    assert.match(specError(cyclic).message, /dependency cycle among: greeter, front/);
  });

  test('the shipped shop and two-services specs are valid', () => {
    const shop = loadSystemSpec(
      fileURLToPath(new URL('../../../../examples/shop/meshwork.yaml', import.meta.url)),
    );
    assert.equal(shop.services.find((s) => s.name === 'catalog')?.replicas, 3);
    assert.deepEqual(
      tiers(shop.services)
        .at(-1)
        ?.map((s) => s.name),
      ['orders'],
    );
    const two = loadSystemSpec(
      fileURLToPath(new URL('../../../../examples/two-services/meshwork.yaml', import.meta.url)),
    );
    assert.equal(two.services.length, 2);
  });
});
