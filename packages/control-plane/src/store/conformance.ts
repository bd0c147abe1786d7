/**
 * The one conformance suite every `ResourceStore` must pass. `store.test.ts` runs it against the
 * memory+file store and against a real etcd.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isControlPlaneError } from '../errors.js';
import type { Resource } from '../resources/resource.js';
import type { ResourceStore, WatchEvent } from './resource-store.js';

/** Backing data for one test; every `open()` returns a store over the same data (a "restart"). */
export interface StoreHarness {
  open(): Promise<ResourceStore>;
}

/** Creates fresh, isolated backing data. */
export type StoreHarnessFactory = () => Promise<StoreHarness>;

/** A Service resource for tests. */
export function svc(
  name: string,
  port = 8080,
  labels?: Record<string, string>,
  namespace?: string,
): Resource {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, ...(namespace ? { namespace } : {}), ...(labels ? { labels } : {}) },
    spec: { selector: { app: name }, ports: [{ port }] },
  };
}

/** Collects watch events until `count` have arrived (or fails after `timeoutMs`). */
export function collect(store: ResourceStore, from: number) {
  const events: WatchEvent[] = [];
  let waiter: (() => void) | undefined;
  const stop = store.watch(from, (e) => {
    events.push(e);
    waiter?.();
  });
  const until = async (count: number, timeoutMs = 5000) => {
    const deadline = Date.now() + timeoutMs;
    while (events.length < count) {
      if (Date.now() > deadline) assert.fail(`expected ${count} watch events, got ${events.length}`);
      await new Promise<void>((resolve) => {
        waiter = resolve;
        setTimeout(resolve, 50);
      });
    }
    return events;
  };
  return { events, stop, until };
}

/** Registers the suite's tests under the current `describe`. */
export function storeConformance(factory: StoreHarnessFactory): void {
  async function fresh(t: { after(fn: () => Promise<void> | void): void }) {
    const harness = await factory();
    const opened: ResourceStore[] = [];
    t.after(async () => {
      for (const s of opened) await s.close();
    });
    const open = async () => {
      const s = await harness.open();
      opened.push(s);
      return s;
    };
    return { store: await open(), open };
  }

  test('apply creates resources with server-side metadata at one revision', async (t) => {
    const { store } = await fresh(t);
    const before = store.revision();
    const res = await store.apply([svc('a'), svc('b', 9090, undefined, 'shop')]);
    assert.ok(res.revision > before);
    assert.deepEqual(
      res.results.map((r) => [r.kind, r.namespace, r.name, r.action, r.resourceVersion]),
      [
        ['Service', 'default', 'a', 'created', String(res.revision)],
        ['Service', 'shop', 'b', 'created', String(res.revision)],
      ],
    );
    const a = await store.get('Service', 'default', 'a');
    assert.equal(a?.metadata.resourceVersion, String(res.revision));
    assert.equal(a?.metadata.generation, 1);
    assert.match(a?.metadata.uid ?? '', /^[0-9a-f-]{36}$/);
    assert.ok(!Number.isNaN(Date.parse(a?.metadata.creationTimestamp ?? '')));
    assert.deepEqual(a?.spec, { selector: { app: 'a' }, ports: [{ port: 8080 }] });
    assert.equal(store.revision(), res.revision);
  });

  test('re-applying an identical resource is unchanged and writes nothing', async (t) => {
    const { store } = await fresh(t);
    const first = await store.apply([svc('a')]);
    const again = await store.apply([svc('a')]);
    assert.equal(again.results[0].action, 'unchanged');
    assert.equal(again.results[0].resourceVersion, String(first.revision));
    assert.equal(again.revision, first.revision);
  });

  test('a spec change is configured: new version, generation + 1, same uid', async (t) => {
    const { store } = await fresh(t);
    await store.apply([svc('a')]);
    const before = await store.get('Service', 'default', 'a');
    const res = await store.apply([svc('a', 9000)]);
    const after = await store.get('Service', 'default', 'a');
    assert.equal(res.results[0].action, 'configured');
    assert.equal(after?.metadata.resourceVersion, String(res.revision));
    assert.equal(after?.metadata.generation, 2);
    assert.equal(after?.metadata.uid, before?.metadata.uid);
    assert.equal(after?.metadata.creationTimestamp, before?.metadata.creationTimestamp);
  });

  test('a label-only change is configured but keeps the generation', async (t) => {
    const { store } = await fresh(t);
    await store.apply([svc('a')]);
    const res = await store.apply([svc('a', 8080, { team: 'x' })]);
    assert.equal(res.results[0].action, 'configured');
    assert.equal((await store.get('Service', 'default', 'a'))?.metadata.generation, 1);
  });

  test('a stale resourceVersion is a conflict and nothing in the batch is written', async (t) => {
    const { store } = await fresh(t);
    const first = await store.apply([svc('a')]);
    await store.apply([svc('a', 9000)]);
    const stale = svc('a', 9100);
    stale.metadata.resourceVersion = String(first.revision);
    const rev = store.revision();
    await assert.rejects(store.apply([svc('new-one'), stale]), (err) =>
      isControlPlaneError(err, 'MESH_ERR_CP_CONFLICT'),
    );
    assert.equal(await store.get('Service', 'default', 'new-one'), undefined);
    const a = await store.get('Service', 'default', 'a');
    assert.deepEqual((a?.spec as { ports?: unknown } | undefined)?.ports, [{ port: 9000 }]);
    assert.equal(store.revision(), rev);
  });

  test('a current resourceVersion makes the write go through', async (t) => {
    const { store } = await fresh(t);
    const first = await store.apply([svc('a')]);
    const next = svc('a', 9000);
    next.metadata.resourceVersion = String(first.revision);
    const res = await store.apply([next]);
    assert.equal(res.results[0].action, 'configured');
  });

  test('concurrent conditional writes on one version: exactly one wins', async (t) => {
    const { store } = await fresh(t);
    const first = await store.apply([svc('a')]);
    const writes = [9001, 9002, 9003].map((p) => {
      const r = svc('a', p);
      r.metadata.resourceVersion = String(first.revision);
      return store.apply([r]).then(
        () => 'ok',
        (err) => (isControlPlaneError(err, 'MESH_ERR_CP_CONFLICT') ? 'conflict' : err),
      );
    });
    const outcomes = await Promise.all(writes);
    assert.deepEqual(outcomes.sort(), ['conflict', 'conflict', 'ok']);
  });

  test('a dry run reports the outcome and writes nothing', async (t) => {
    const { store } = await fresh(t);
    const rev = store.revision();
    const res = await store.apply([svc('a')], { dryRun: true });
    assert.equal(res.results[0].action, 'created');
    assert.equal(await store.get('Service', 'default', 'a'), undefined);
    assert.equal(store.revision(), rev);
  });

  test('list filters by kind, namespace and label selector, ordered by key', async (t) => {
    const { store } = await fresh(t);
    await store.apply([
      svc('b', 80, { tier: 'web', env: 'prod' }),
      svc('a', 80, { tier: 'api', env: 'prod' }),
      svc('c', 80, { tier: 'web' }, 'other'),
      {
        apiVersion: 'networking.istio.io/v1',
        kind: 'DestinationRule',
        metadata: { name: 'a' },
        spec: { host: 'a' },
      },
    ]);
    const names = (rs: { kind: string; metadata: { namespace: string; name: string } }[]) =>
      rs.map((r) => `${r.kind}/${r.metadata.namespace}/${r.metadata.name}`);
    assert.deepEqual(names(await store.list({ kind: 'Service' })), [
      'Service/default/a',
      'Service/default/b',
      'Service/other/c',
    ]);
    assert.deepEqual(names(await store.list({ namespace: 'other' })), ['Service/other/c']);
    assert.deepEqual(names(await store.list({ kind: 'Service', namespace: 'default' })), [
      'Service/default/a',
      'Service/default/b',
    ]);
    assert.deepEqual(names(await store.list({ labelSelector: 'tier=web,env' })), ['Service/default/b']);
    assert.deepEqual(names(await store.list({ labelSelector: 'tier in (api,web),env!=prod' })), [
      'Service/other/c',
    ]);
    assert.equal((await store.list()).length, 4);
  });

  test('delete removes, bumps the revision, and names what is missing or stale', async (t) => {
    const { store } = await fresh(t);
    const created = await store.apply([svc('a'), svc('b')]);
    await assert.rejects(store.delete('Service', 'default', 'zzz'), (e) =>
      isControlPlaneError(e, 'MESH_ERR_CP_NOT_FOUND'),
    );
    await store.apply([svc('b', 1234)]);
    await assert.rejects(
      store.delete('Service', 'default', 'b', { resourceVersion: String(created.revision) }),
      (e) => isControlPlaneError(e, 'MESH_ERR_CP_CONFLICT'),
    );
    const res = await store.delete('Service', 'default', 'a', { resourceVersion: String(created.revision) });
    assert.ok(res.revision > created.revision);
    assert.equal(res.resource.metadata.name, 'a');
    assert.equal(await store.get('Service', 'default', 'a'), undefined);
    assert.equal(store.revision(), res.revision);
  });

  test('watch replays events after a revision, then delivers live ones, until stopped', async (t) => {
    const { store } = await fresh(t);
    const r1 = await store.apply([svc('a')]);
    const r2 = await store.apply([svc('a', 9000), svc('b')]);
    const w = collect(store, r1.revision);
    t.after(w.stop);
    await w.until(2);
    assert.deepEqual(
      w.events.map((e) => [e.type, e.resource.metadata.name, e.revision]),
      [
        ['MODIFIED', 'a', r2.revision],
        ['ADDED', 'b', r2.revision],
      ],
    );
    assert.equal(w.events[0].resource.metadata.resourceVersion, String(r2.revision));
    const d = await store.delete('Service', 'default', 'b');
    await w.until(3);
    assert.deepEqual(
      [w.events[2].type, w.events[2].resource.metadata.name, w.events[2].revision],
      ['DELETED', 'b', d.revision],
    );
    w.stop();
    await store.apply([svc('c')]);
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(w.events.length, 3);
  });

  test('concurrent applies each get their own revision and watchers see them in order', async (t) => {
    const { store } = await fresh(t);
    const w = collect(store, store.revision());
    t.after(w.stop);
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => store.apply([svc(`c${i}`)])));
    const revisions = results.map((r) => r.revision);
    assert.equal(new Set(revisions).size, 8);
    const events = await w.until(8);
    const seen = events.map((e) => e.revision);
    assert.deepEqual(
      seen,
      [...seen].sort((a, b) => a - b),
    );
    assert.deepEqual(new Set(seen), new Set(revisions));
  });

  test('watch from 0 sees every resource that exists', async (t) => {
    const { store } = await fresh(t);
    await store.apply([svc('a')]);
    await store.apply([svc('b')]);
    const w = collect(store, 0);
    t.after(w.stop);
    const events = await w.until(2);
    assert.deepEqual(events.map((e) => e.resource.metadata.name).sort(), ['a', 'b']);
  });

  test('state survives a restart', async (t) => {
    const { store, open } = await fresh(t);
    await store.apply([svc('a'), svc('b')]);
    const del = await store.delete('Service', 'default', 'b');
    await store.close();
    const reopened = await open();
    assert.equal(reopened.revision(), del.revision);
    const a = await reopened.get('Service', 'default', 'a');
    assert.deepEqual((a?.spec as { ports?: unknown } | undefined)?.ports, [{ port: 8080 }]);
    assert.equal(await reopened.get('Service', 'default', 'b'), undefined);
    const res = await reopened.apply([svc('c')]);
    assert.ok(res.revision > del.revision);
  });

  test('a closed store refuses work with MESH_ERR_CP_STORE_CLOSED', async (t) => {
    const { store } = await fresh(t);
    await store.close();
    await assert.rejects(store.apply([svc('a')]), (e) => isControlPlaneError(e, 'MESH_ERR_CP_STORE_CLOSED'));
  });

  test('an apply conditional on a view commits only while nothing was written since', async (t) => {
    const { store } = await fresh(t);
    await store.apply([svc('a')]);
    const view = await store.view();
    assert.deepEqual(
      view.resources.map((r) => r.metadata.name),
      ['a'],
    );
    const ok = await store.apply([svc('b')], { ifViewCurrent: view.token });
    assert.equal(ok.results[0].action, 'created');
    // Any write since the view makes it stale: an apply, or a delete.
    await assert.rejects(store.apply([svc('c')], { ifViewCurrent: view.token }), (e) =>
      isControlPlaneError(e, 'MESH_ERR_CP_STALE_VIEW'),
    );
    assert.equal(await store.get('Service', 'default', 'c'), undefined);
    const fresher = await store.view();
    await store.delete('Service', 'default', 'a');
    await assert.rejects(store.apply([svc('c')], { ifViewCurrent: fresher.token }), (e) =>
      isControlPlaneError(e, 'MESH_ERR_CP_STALE_VIEW'),
    );
    const latest = await store.view();
    const res = await store.apply([svc('c')], { ifViewCurrent: latest.token });
    assert.equal(res.results[0].action, 'created');
    // A dry run never writes, so it is not held to the view.
    const dry = await store.apply([svc('d')], { dryRun: true, ifViewCurrent: view.token });
    assert.equal(dry.results[0].action, 'created');
  });
}
