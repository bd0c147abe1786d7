import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Etcd3 } from 'etcd3';
import { isControlPlaneError } from '../errors.js';
import { collect, storeConformance, svc } from './conformance.js';
import { type EtcdProcess, startEtcd } from './etcd-process.js';
import { EtcdStore } from './etcd-store.js';
import { MemoryFileStore } from './memory-file-store.js';
import { openStore } from './open-store.js';

describe('MemoryFileStore (journal file)', () => {
  let dir: string;
  let n = 0;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'meshwork-store-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  storeConformance(async () => {
    const path = join(dir, `store-${++n}.jsonl`);
    return { open: () => MemoryFileStore.open({ path, onWarning: () => {} }) };
  });
});

describe('EtcdStore (private etcd)', () => {
  let etcd: EtcdProcess | undefined;
  let n = 0;
  before(async () => {
    etcd = await startEtcd();
  });
  after(async () => {
    await etcd?.stop();
  });
  storeConformance(async () => {
    assert.ok(etcd, 'etcd did not start');
    const prefix = `/conformance-${process.pid}-${++n}`;
    const hosts = [etcd.clientUrl];
    return { open: () => EtcdStore.open({ hosts, prefix, onWarning: () => {} }) };
  });

  test("replicas sharing etcd: a write by one makes the other's view stale", async () => {
    assert.ok(etcd);
    const prefix = `/replicas-${process.pid}`;
    const a = await EtcdStore.open({ hosts: [etcd.clientUrl], prefix });
    const b = await EtcdStore.open({ hosts: [etcd.clientUrl], prefix });
    try {
      await a.apply([svc('x')]);
      const view = await a.view();
      await b.delete('Service', 'default', 'x');
      await assert.rejects(a.apply([svc('y')], { ifViewCurrent: view.token }), (e) =>
        isControlPlaneError(e, 'MESH_ERR_CP_STALE_VIEW'),
      );
      assert.equal(await b.get('Service', 'default', 'y'), undefined);
      const again = await a.view();
      assert.deepEqual(again.resources, []);
      await a.apply([svc('y')], { ifViewCurrent: again.token });
      assert.equal((await b.get('Service', 'default', 'y'))?.metadata.name, 'y');
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('a watch from before the compaction point resyncs from current state', async () => {
    assert.ok(etcd);
    const store = await EtcdStore.open({ hosts: [etcd.clientUrl], prefix: '/compaction' });
    const admin = new Etcd3({ hosts: [etcd.clientUrl] });
    try {
      const first = await store.apply([svc('a')]);
      await store.apply([svc('a', 9000), svc('b')]);
      await store.delete('Service', 'default', 'b');
      await admin.kv.compact({ revision: String(store.revision()), physical: true });
      const w = collect(store, first.revision - 1);
      const events = await w.until(1);
      assert.deepEqual(
        events.map((e) => [e.type, e.resource.metadata.name, e.revision]),
        [['ADDED', 'a', store.revision()]],
      );
      await store.apply([svc('c')]);
      await w.until(2);
      assert.deepEqual([w.events[1].type, w.events[1].resource.metadata.name], ['ADDED', 'c']);
      w.stop();
    } finally {
      admin.close();
      await store.close();
    }
  });

  test('two replicas on one prefix see each other through watch and conflict on stale versions', async () => {
    assert.ok(etcd);
    const a = await EtcdStore.open({ hosts: [etcd.clientUrl], prefix: '/replicas' });
    const b = await EtcdStore.open({ hosts: [etcd.clientUrl], prefix: '/replicas' });
    try {
      const w = collect(b, b.revision());
      const first = await a.apply([svc('shared')]);
      const [event] = await w.until(1);
      assert.deepEqual(
        [event.type, event.resource.metadata.name, event.revision],
        ['ADDED', 'shared', first.revision],
      );
      assert.equal(b.revision(), first.revision);
      await a.apply([svc('shared', 9000)]);
      const stale = svc('shared', 9100);
      stale.metadata.resourceVersion = String(first.revision);
      await assert.rejects(
        b.apply([stale]),
        (err: Error & { code?: string }) => err.code === 'MESH_ERR_CP_CONFLICT',
      );
      w.stop();
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('an apply larger than one etcd transaction allows is refused before writing', async () => {
    assert.ok(etcd);
    const store = await EtcdStore.open({ hosts: [etcd.clientUrl], prefix: '/txn-limit', maxTxnOps: 2 });
    try {
      await assert.rejects(store.apply([svc('a'), svc('b'), svc('c')]), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'MESH_ERR_CP_BAD_REQUEST');
        assert.match(err.message, /changes 3 resources; one etcd transaction allows 2/);
        return true;
      });
      assert.deepEqual(await store.list(), []);
    } finally {
      await store.close();
    }
  });

  test('openStore reads etcd:// URLs with a prefix', async () => {
    assert.ok(etcd);
    const store = await openStore(`etcd://${etcd.hostPort}?prefix=/url-test`);
    try {
      const res = await store.apply([
        { apiVersion: 'v1', kind: 'Service', metadata: { name: 'x' }, spec: { ports: [{ port: 80 }] } },
      ]);
      assert.equal(res.results[0].action, 'created');
      assert.ok(await store.get('Service', 'default', 'x'));
    } finally {
      await store.close();
    }
  });
});

describe('openStore', () => {
  test('memory:// gives an empty in-memory store', async () => {
    const store = await openStore('memory://');
    assert.equal(store.revision(), 0);
    assert.deepEqual(await store.list(), []);
    await store.close();
  });

  test('an unknown scheme is a bad request naming the accepted forms', async () => {
    await assert.rejects(openStore('redis://x'), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'MESH_ERR_CP_BAD_REQUEST');
      assert.match(err.message, /etcd:\/\/host:port/);
      return true;
    });
  });

  test('an unreachable etcd fails with MESH_ERR_CP_STORE', async () => {
    await assert.rejects(
      openStore('etcd://127.0.0.1:1', { etcd: { client: { dialTimeout: 300 } } }),
      (err: Error & { code?: string }) => err.code === 'MESH_ERR_CP_STORE',
    );
  });
});
