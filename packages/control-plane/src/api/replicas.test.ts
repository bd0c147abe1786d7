import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type EtcdProcess, startEtcd } from '../store/etcd-process.js';
import { EtcdStore } from '../store/etcd-store.js';
import type { ResourceStore, StoreView } from '../store/resource-store.js';
import { resourceRoutes } from './resource-routes.js';
import { type ApiServer, createApiServer } from './server.js';

const RULE = `apiVersion: v1
kind: Service
metadata: { name: reviews }
spec:
  selector: { app: reviews }
  ports: [{ port: 9080 }]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: reviews }
spec:
  host: reviews
  subsets:
  - { name: v1, labels: { version: v1 } }
  - { name: v2, labels: { version: v2 } }
`;

const ROUTE = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: reviews }
spec:
  hosts: [reviews]
  http:
  - route:
    - { destination: { host: reviews, subset: v2 } }
`;

let etcd: EtcdProcess | undefined;
before(async () => {
  etcd = await startEtcd();
});
after(async () => {
  await etcd?.stop();
});

async function replica(store: ResourceStore, t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const api: ApiServer = await createApiServer({ port: 0, routes: resourceRoutes(store) });
  t.after(async () => {
    await api.close();
    await store.close();
  });
  return api.url;
}

const apply = (url: string, yaml: string) =>
  fetch(`${url}/v1/resources`, {
    method: 'POST',
    headers: { 'content-type': 'application/yaml' },
    body: yaml,
  });

test('two replicas on one etcd: an apply validated before the other deleted what it names is checked again', async (t) => {
  assert.ok(etcd, 'etcd did not start');
  const prefix = `/replicas-api-${process.pid}`;
  const hosts = [etcd.clientUrl];
  const storeA = await EtcdStore.open({ hosts, prefix });
  const storeB = await EtcdStore.open({ hosts, prefix });
  const b = await replica(storeB, t);
  // Replica A's store lets replica B's delete land right after A took its validation view, once.
  let interleave: (() => Promise<void>) | undefined;
  const racingA = new Proxy(storeA, {
    get(target, key) {
      if (key !== 'view') {
        const value = Reflect.get(target, key);
        return typeof value === 'function' ? value.bind(target) : value;
      }
      return async (): Promise<StoreView> => {
        const view = await target.view();
        const race = interleave;
        interleave = undefined;
        await race?.();
        return view;
      };
    },
  });
  const a = await replica(racingA, t);
  assert.equal((await apply(b, RULE)).status, 200);
  interleave = async () => {
    const res = await fetch(`${b}/v1/resources/destinationrules/default/reviews`, { method: 'DELETE' });
    assert.equal(res.status, 200);
  };
  const res = await apply(a, ROUTE);
  const problem = (await res.json()) as { code: string; errors?: { reason: string }[] };
  assert.equal(res.status, 400, JSON.stringify(problem));
  assert.equal(problem.code, 'MESH_ERR_CP_VALIDATION');
  assert.match(problem.errors?.[0]?.reason ?? '', /subset "v2"/);
  assert.equal(interleave, undefined, 'the delete ran between view and commit');
  assert.equal(await storeB.get('VirtualService', 'default', 'reviews'), undefined);
});
