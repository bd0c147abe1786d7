import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  type ApiServer,
  type ControlPlane,
  createApiServer,
  MemoryFileStore,
  resourceRoutes,
  sendJson,
  startControlPlane,
} from '@meshwork/control-plane';
import { command as apply } from './apply.js';
import { command as del } from './delete.js';
import { command as get } from './get.js';

const SEEDS = fileURLToPath(new URL('../../../../examples/seeds', import.meta.url));

function capture(t: {
  mock: { method: (o: object, m: string, impl: (...a: unknown[]) => void) => unknown };
}) {
  const lines: string[] = [];
  t.mock.method(console, 'log', (...a: unknown[]) => lines.push(a.join(' ')));
  t.mock.method(console, 'error', (...a: unknown[]) => lines.push(a.join(' ')));
  return lines;
}

describe('meshwork apply / get / delete against a real API server', () => {
  let store: MemoryFileStore;
  let api: ApiServer;
  let dir: string;
  let changeRequests = 0;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'meshwork-apply-'));
    store = await MemoryFileStore.open();
    api = await createApiServer({
      port: 0,
      routes: [
        ...resourceRoutes(store),
        {
          // Stands in for the convergence tracker: unknown at first, then converged with one NACK.
          method: 'GET',
          path: '/changes/:id',
          handler: ({ res, params }) => {
            if (++changeRequests < 3) return sendJson(res, 404, { code: 'MESH_ERR_CP_NOT_FOUND' });
            sendJson(res, 200, {
              id: params.id,
              state: 'pushed',
              proxies: { total: 2, acked: 1, nacked: 1, pending: 0 },
              nacks: [{ node: 'orders-1', typeUrl: 'RouteConfiguration', version: '3', error: 'bad regex' }],
              convergenceMs: { p50: 4, p90: 5, p99: 5, max: 5 },
            });
          },
        },
      ],
    });
  });
  after(async () => {
    await api.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('applies a directory of manifests and prints each result and the change id', async (t) => {
    const lines = capture(t);
    assert.equal(await apply.run(['-f', SEEDS, '--server', api.url]), 0);
    assert.ok(lines.includes('VirtualService/default/order-service created'), lines.join('\n'));
    assert.ok(lines.includes('DestinationRule/default/inventory-service created'));
    assert.ok(
      lines.some((l) =>
        /^warning: .*001-ingress\.yaml:doc 1 Ingress\/default\/api-ingress: Ingress is stored/.test(l),
      ),
    );
    assert.equal(lines.at(-1), `change id: ${store.revision()}`);
  });

  test('re-applying is unchanged; --dry-run writes nothing', async (t) => {
    const lines = capture(t);
    const rev = store.revision();
    assert.equal(
      await apply.run(['-f', join(SEEDS, '001-virtualservice-canary.yaml'), '--server', api.url]),
      0,
    );
    assert.equal(lines[0], 'VirtualService/default/order-service unchanged');
    const file = join(dir, 'new.yaml');
    await writeFile(
      file,
      'apiVersion: v1\nkind: Service\nmetadata: { name: ratings }\nspec: { ports: [{ port: 80 }] }\n',
    );
    assert.equal(await apply.run(['-f', file, '--dry-run', '--server', api.url]), 0);
    assert.equal(lines.at(-1), 'Service/default/ratings created (dry run)');
    assert.equal(store.revision(), rev);
  });

  test('a rejected apply prints the server errors against the file and document', async (t) => {
    const good = join(dir, 'a-good.yaml');
    const bad = join(dir, 'b-bad.yaml');
    await writeFile(
      good,
      'apiVersion: v1\nkind: Service\nmetadata: { name: details }\nspec: { ports: [{ port: 80 }] }\n',
    );
    await writeFile(
      bad,
      'apiVersion: v1\nkind: Service\nmetadata: { name: fine }\nspec: {}\n---\napiVersion: v1\nkind: Service\nmetadata: { name: broken }\nspec: { ports: [{ port: 99999 }] }\n',
    );
    const lines = capture(t);
    assert.equal(await apply.run(['-f', good, '-f', bad, '--server', api.url]), 1);
    assert.equal(
      lines[0],
      `${bad}:doc 2 Service/default/broken: spec.ports[0].port: must be <= 65535 (got 99999)`,
    );
    assert.equal(await store.get('Service', 'default', 'details'), undefined);
  });

  test('--wait polls the change until it converges (tolerating 404 first) and fails on NACKs', async (t) => {
    const file = join(dir, 'wait.yaml');
    await writeFile(
      file,
      'apiVersion: v1\nkind: Service\nmetadata: { name: waited }\nspec: { ports: [{ port: 80 }] }\n',
    );
    const lines = capture(t);
    assert.equal(await apply.run(['-f', file, '--wait', '--server', api.url]), 1);
    assert.equal(changeRequests, 3);
    assert.match(
      lines.at(-2) ?? '',
      /converged: 1\/2 proxies ACKed, 1 NACKed \(p50 4 ms, p99 5 ms, max 5 ms\)/,
    );
    assert.equal(lines.at(-1), '  NACK from orders-1 on RouteConfiguration: bad regex');
  });

  test('get prints a table, one resource as yaml or json, and honours selectors', async (t) => {
    const lines = capture(t);
    assert.equal(await get.run(['vs', '--server', api.url]), 0);
    assert.match(lines[0], /^KIND\s+NAMESPACE\s+NAME\s+VERSION\s+GENERATION\s+AGE$/m);
    assert.match(lines[0], /^VirtualService\s+default\s+order-service\s+\d+\s+1\s+\d+s$/m);
    assert.equal(lines[0].split('\n').length, 5);
    lines.length = 0;
    assert.equal(await get.run(['dr', 'inventory-service', '-o', 'yaml', '--server', api.url]), 0);
    assert.match(lines[0], /consecutive5xxErrors: 5/);
    lines.length = 0;
    assert.equal(await get.run(['services', 'order-service', '-o', 'json', '--server', api.url]), 0);
    assert.equal(JSON.parse(lines[0]).metadata.name, 'order-service');
    lines.length = 0;
    assert.equal(await get.run(['svc', 'nope', '--server', api.url]), 1);
    assert.match(lines[0], /Service\/default\/nope not found/);
    assert.equal(await get.run(['widgets', '--server', api.url]), 2);
    lines.length = 0;
    assert.equal(await get.run(['svc', '-l', 'app=nope', '--server', api.url]), 0);
    assert.equal(lines[0], 'No resources found.');
  });

  test('get --watch prints the list, then each change, until --timeout', async (t) => {
    const lines = capture(t);
    const watching = get.run(['svc', '-w', '--timeout', '700ms', '--server', api.url]);
    await new Promise((r) => setTimeout(r, 200));
    const res = await store.apply([
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'watched' }, spec: { ports: [{ port: 80 }] } },
    ]);
    await store.delete('Service', 'default', 'watched');
    assert.equal(await watching, 0);
    assert.match(lines[0], /^KIND/);
    assert.deepEqual(lines.slice(1), [
      `ADDED Service/default/watched ${res.revision}`,
      `DELETED Service/default/watched ${res.revision + 1}`,
    ]);
  });

  test('delete by name and by file; a missing resource is an error unless ignored', async (t) => {
    const lines = capture(t);
    assert.equal(await del.run(['vs', 'user-service-ab', '--server', api.url]), 0);
    assert.match(lines[0], /^VirtualService\/default\/user-service-ab deleted \(change id: \d+\)$/);
    assert.equal(await del.run(['-f', join(SEEDS, '001-ingress.yaml'), '--server', api.url]), 0);
    assert.equal(await store.get('Ingress', 'default', 'api-ingress'), undefined);
    assert.equal(await del.run(['-f', join(SEEDS, '001-ingress.yaml'), '--server', api.url]), 1);
    assert.equal(
      await del.run(['-f', join(SEEDS, '001-ingress.yaml'), '--ignore-not-found', '--server', api.url]),
      0,
    );
  });

  test('an unreachable control plane is a clear error, not a stack trace', async (t) => {
    const lines = capture(t);
    assert.equal(await get.run(['vs', '--server', 'http://127.0.0.1:1']), 1);
    assert.match(lines[0], /cannot reach the control plane at http:\/\/127\.0\.0\.1:1/);
  });
});

describe('meshwork apply against the real control plane', () => {
  let cp: ControlPlane;
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'meshwork-apply-cp-'));
    cp = await startControlPlane({ restPort: 0, xdsPort: 0, store: 'memory://', debounceMs: 10 });
  });
  after(async () => {
    await cp.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('a route may name a service known only to the registry; --wait reports convergence', async (t) => {
    const reg = await fetch(`${cp.url}/v1/registry/instances`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        service: 'ratings',
        address: '127.0.0.1',
        port: 9080,
        protocol: 'http',
        version: 'v1',
      }),
    });
    assert.equal(reg.status, 201);
    const file = join(dir, 'ratings.yaml');
    await writeFile(
      file,
      'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: { name: ratings }\n' +
        'spec:\n  hosts: [ratings]\n  http:\n  - route: [{ destination: { host: ratings } }]\n    timeout: 2s\n',
    );
    const lines = capture(t);
    assert.equal(
      await apply.run(['-f', file, '--wait', '--timeout', '5s', '--server', cp.url]),
      0,
      lines.join('\n'),
    );
    assert.equal(lines[0], 'VirtualService/default/ratings created');
    assert.match(lines.at(-1) ?? '', /^change \d+ converged: 0\/0 proxies ACKed, 0 NACKed/);
  });

  test('a subset whose labels no registered instance carries is applied with a warning', async (t) => {
    const file = join(dir, 'ratings-dr.yaml');
    await writeFile(
      file,
      'apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: { name: ratings }\n' +
        'spec:\n  host: ratings\n  subsets:\n  - { name: v1, labels: { version: v1 } }\n  - { name: v2, labels: { version: v2 } }\n',
    );
    const lines = capture(t);
    assert.equal(await apply.run(['-f', file, '--server', cp.url]), 0, lines.join('\n'));
    assert.deepEqual(
      lines.filter((l) => l.startsWith('warning:')),
      [
        `warning: ${file}:doc 1 DestinationRule/default/ratings: spec.subsets[1].labels: no known instance of ratings.default.svc.cluster.local carries {"version":"v2"}`,
      ],
    );
  });
});
