/**
 * The distributed store: resources in etcd under `<prefix>/<kind>/<namespace>/<name>`, so several
 * control-plane replicas can share one cluster. The store revision is etcd's revision and a
 * resource's `resourceVersion` is its key's `mod_revision` (never stored in the value, since it is
 * only known once the write commits). An apply is one etcd transaction guarded by a
 * `mod_revision` comparison on every key it read: if another writer got there first the apply is
 * re-planned (a client's stale `resourceVersion` is a 409 instead). Every write also rewrites one
 * guard key beside the prefix, `<prefix>.lastwrite`, so an apply can be made conditional on no
 * write at all since a view was taken (`ifViewCurrent`): replicas then validate and commit as if
 * they were one. Watch is etcd's watch.
 */
import { Etcd3, type IKeyValue, type IOptions } from 'etcd3';
import { ConflictError, ControlPlaneError, NotFoundError, StaleViewError } from '../errors.js';
import { DEFAULT_NAMESPACE, type Resource, type StoredResource } from '../resources/resource.js';
import { planApply, stampRevision, storeKey } from './apply-plan.js';
import { EtcdWatch } from './etcd-watch.js';
import { compileLabelSelector } from './label-selector.js';
import { byKey } from './memory-file-store.js';
import type {
  ApplyOptions,
  ApplyResult,
  DeleteOptions,
  DeleteResult,
  ListFilter,
  ResourceStore,
  StoreView,
  WatchEvent,
} from './resource-store.js';

/** Options of {@link EtcdStore.open}. */
export interface EtcdStoreOptions {
  /** Client URLs, e.g. `['http://127.0.0.1:2379']`. */
  hosts: string[];
  /** Key prefix; default `/meshwork`. */
  prefix?: string;
  /** Extra etcd3 client options (TLS, auth). */
  client?: Partial<IOptions>;
  /** Attempts when concurrent writers keep winning the transaction. Default 8. */
  maxTxnAttempts?: number;
  /** etcd's `--max-txn-ops` (default 128): an apply may write at most this many resources. */
  maxTxnOps?: number;
  /** Receives watch errors. Default: `console.warn`. */
  onWarning?: (message: string) => void;
}

/** A store backed by etcd v3. */
export class EtcdStore implements ResourceStore {
  readonly #client: Etcd3;
  readonly #prefix: string;
  readonly #maxAttempts: number;
  readonly #maxTxnOps: number;
  readonly #warn: (message: string) => void;
  readonly #cancels = new Set<() => void>();
  #revision = 0;
  #closed = false;

  private constructor(opts: EtcdStoreOptions) {
    this.#client = new Etcd3({ hosts: opts.hosts, ...opts.client });
    this.#prefix = (opts.prefix ?? '/meshwork').replace(/\/+$/, '');
    this.#maxAttempts = opts.maxTxnAttempts ?? 8;
    this.#maxTxnOps = opts.maxTxnOps ?? 128;
    this.#warn = opts.onWarning ?? ((m) => console.warn(`meshwork etcd store: ${m}`));
  }

  /** Connects and reads the current revision; fails with `MESH_ERR_CP_STORE` if etcd is unreachable. */
  static async open(opts: EtcdStoreOptions): Promise<EtcdStore> {
    const store = new EtcdStore(opts);
    try {
      const res = await store.#client.get(`${store.#prefix}/`).exec();
      store.#observe(res.header.revision);
    } catch (err) {
      store.#client.close();
      throw new ControlPlaneError('MESH_ERR_CP_STORE', `cannot reach etcd at ${opts.hosts.join(',')}`, {
        cause: err,
      });
    }
    return store;
  }

  /** Rewritten by every write; its mod_revision is a view's token. */
  get #guardKey(): string {
    return `${this.#prefix}.lastwrite`;
  }

  #guardPut() {
    return this.#client.put(this.#guardKey).value('');
  }

  async #guardRevision(): Promise<string> {
    const res = await this.#client.get(this.#guardKey).exec();
    this.#observe(res.header.revision);
    return res.kvs[0]?.mod_revision ?? '0';
  }

  view(): Promise<StoreView> {
    return this.#guard('view', async () => {
      // The guard first: a write landing between the two reads makes the token stale, never the
      // resources newer than the token says.
      const token = await this.#guardRevision();
      return { resources: await this.list(), token };
    });
  }

  #key(kind: string, namespace: string, name: string): string {
    return `${this.#prefix}/${kind}/${namespace}/${name}`;
  }

  #observe(revision: string | number): void {
    const n = Number(revision);
    if (n > this.#revision) this.#revision = n;
  }

  #decode(kv: IKeyValue, revision = kv.mod_revision): StoredResource {
    const r = JSON.parse(kv.value.toString()) as StoredResource;
    r.metadata.resourceVersion = String(revision);
    return r;
  }

  async #guard<T>(what: string, fn: () => Promise<T>): Promise<T> {
    if (this.#closed) throw new ControlPlaneError('MESH_ERR_CP_STORE_CLOSED', 'the store is closed');
    try {
      return await fn();
    } catch (err) {
      if (err instanceof ControlPlaneError) throw err;
      throw new ControlPlaneError('MESH_ERR_CP_STORE', `etcd ${what} failed: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  apply(resources: readonly Resource[], opts: ApplyOptions = {}): Promise<ApplyResult> {
    return this.#guard('apply', async () => {
      for (let attempt = 1; attempt <= this.#maxAttempts; attempt++) {
        const result = await this.#tryApply(resources, opts);
        if (result) return result;
      }
      throw new ControlPlaneError(
        'MESH_ERR_CP_STORE',
        `apply lost ${this.#maxAttempts} transaction races; retry`,
      );
    });
  }

  /** One optimistic attempt; `undefined` when a concurrent writer changed a key we read. */
  async #tryApply(resources: readonly Resource[], opts: ApplyOptions): Promise<ApplyResult | undefined> {
    const current = new Map<string, StoredResource>();
    const modRevisions = new Map<string, string>();
    const reads = await Promise.all(
      resources.map((r) => {
        const ns = r.metadata.namespace ?? DEFAULT_NAMESPACE;
        return this.#client.get(this.#key(r.kind, ns, r.metadata.name)).exec();
      }),
    );
    resources.forEach((r, i) => {
      const k = storeKey(r.kind, r.metadata.namespace ?? DEFAULT_NAMESPACE, r.metadata.name);
      this.#observe(reads[i].header.revision);
      const kv = reads[i].kvs[0];
      modRevisions.set(k, kv ? kv.mod_revision : '0');
      if (kv) current.set(k, this.#decode(kv));
    });
    const plan = planApply(resources, (k) => current.get(k));
    if (opts.dryRun || plan.writes.length === 0) {
      if (opts.dryRun) stampRevision(plan, this.#revision + 1);
      return { revision: this.#revision, results: plan.items };
    }
    if (plan.writes.length > this.#maxTxnOps) {
      throw new ControlPlaneError(
        'MESH_ERR_CP_BAD_REQUEST',
        `this apply changes ${plan.writes.length} resources; one etcd transaction allows ${this.#maxTxnOps} (--max-txn-ops): split it`,
      );
    }
    const [first, ...rest] = plan.writes;
    const txn = this.#client.if(this.#etcdKey(first.key), 'Mod', '==', modRevisions.get(first.key) ?? '0');
    for (const w of rest) txn.and(this.#etcdKey(w.key), 'Mod', '==', modRevisions.get(w.key) ?? '0');
    if (opts.ifViewCurrent !== undefined) txn.and(this.#guardKey, 'Mod', '==', opts.ifViewCurrent);
    const puts = plan.writes.map((w) => {
      const { resourceVersion: _rv, ...metadata } = w.resource.metadata;
      return this.#client.put(this.#etcdKey(w.key)).value(JSON.stringify({ ...w.resource, metadata }));
    });
    const res = await txn.then(...puts, this.#guardPut()).commit();
    if (!res.succeeded) {
      if (opts.ifViewCurrent !== undefined) {
        const now = await this.#guardRevision();
        if (now !== opts.ifViewCurrent) throw new StaleViewError(opts.ifViewCurrent, now);
      }
      return undefined;
    }
    const revision = Number(res.header.revision);
    this.#observe(revision);
    stampRevision(plan, revision);
    return { revision, results: plan.items };
  }

  #etcdKey(storeKeyText: string): string {
    return `${this.#prefix}/${storeKeyText}`;
  }

  get(kind: string, namespace: string, name: string): Promise<StoredResource | undefined> {
    return this.#guard('get', async () => {
      const res = await this.#client.get(this.#key(kind, namespace, name)).exec();
      this.#observe(res.header.revision);
      return res.kvs[0] ? this.#decode(res.kvs[0]) : undefined;
    });
  }

  list(filter: ListFilter = {}): Promise<StoredResource[]> {
    const matches = compileLabelSelector(filter.labelSelector);
    return this.#guard('list', async () => {
      let prefix = `${this.#prefix}/`;
      if (filter.kind !== undefined) {
        prefix += `${filter.kind}/`;
        if (filter.namespace !== undefined) prefix += `${filter.namespace}/`;
      }
      const res = await this.#client.getAll().prefix(prefix).exec();
      this.#observe(res.header.revision);
      const out: StoredResource[] = [];
      for (const kv of res.kvs) {
        const r = this.#decode(kv);
        if (filter.namespace !== undefined && r.metadata.namespace !== filter.namespace) continue;
        if (matches(r.metadata.labels)) out.push(r);
      }
      return out.sort(byKey);
    });
  }

  delete(kind: string, namespace: string, name: string, opts: DeleteOptions = {}): Promise<DeleteResult> {
    return this.#guard('delete', async () => {
      const key = this.#key(kind, namespace, name);
      for (let attempt = 1; attempt <= this.#maxAttempts; attempt++) {
        const got = await this.#client.get(key).exec();
        const kv = got.kvs[0];
        if (!kv) throw new NotFoundError(storeKey(kind, namespace, name));
        if (opts.resourceVersion && opts.resourceVersion !== kv.mod_revision) {
          throw new ConflictError(kind, namespace, name, opts.resourceVersion, kv.mod_revision);
        }
        const res = await this.#client
          .if(key, 'Mod', '==', kv.mod_revision)
          .then(this.#client.delete().key(key), this.#guardPut())
          .commit();
        if (!res.succeeded) continue;
        const revision = Number(res.header.revision);
        this.#observe(revision);
        return { revision, resource: this.#decode(kv, String(revision)) };
      }
      throw new ControlPlaneError(
        'MESH_ERR_CP_STORE',
        `delete lost ${this.#maxAttempts} transaction races; retry`,
      );
    });
  }

  revision(): number {
    return this.#revision;
  }

  watch(fromRevision: number, onEvent: (event: WatchEvent) => void): () => void {
    if (this.#closed) throw new ControlPlaneError('MESH_ERR_CP_STORE_CLOSED', 'the store is closed');
    const watch = new EtcdWatch(
      {
        client: this.#client,
        prefix: this.#prefix,
        decode: (kv, revision) => this.#decode(kv, revision),
        observe: (revision) => this.#observe(revision),
        warn: this.#warn,
        closed: () => this.#closed,
      },
      onEvent,
    );
    const cancel = () => {
      watch.cancel();
      this.#cancels.delete(cancel);
    };
    this.#cancels.add(cancel);
    watch.start(fromRevision);
    return cancel;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const cancel of [...this.#cancels]) cancel();
    this.#client.close();
  }
}
