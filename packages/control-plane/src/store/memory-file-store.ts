/**
 * The embedded store: all state in memory, every write appended to a JSON-lines journal and
 * synced (`fdatasync`) before the apply returns, so a change id handed to a client survives a
 * crash. Without a path it is purely in memory (`memory://`), for tests and throwaway meshes.
 *
 * Writes are serialised (one at a time) so precondition checks and commits cannot interleave.
 * The most recent `maxHistoryEvents` events are kept for `watch` replay; a watcher asking for
 * older history gets a resync (an `ADDED` event per current resource).
 */
import { ConflictError, ControlPlaneError, NotFoundError, StaleViewError } from '../errors.js';
import type { Resource, StoredResource } from '../resources/resource.js';
import { cloneResource, planApply, stampRevision, storeKey } from './apply-plan.js';
import { Journal, type JournalEntry } from './journal.js';
import { compileLabelSelector } from './label-selector.js';
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
import { WatchHub } from './watch-hub.js';

/** Options of {@link MemoryFileStore.open}. */
export interface MemoryFileStoreOptions {
  /** Journal file; omitted → memory only. */
  path?: string;
  /** Receives load-time warnings (torn tail, corrupt lines). Default: `console.warn`. */
  onWarning?: (message: string) => void;
  /** Events kept for watch replay. Default 10,000. */
  maxHistoryEvents?: number;
  /** Rewrite the journal as a snapshot on open when it has more lines than this. Default 10,000. */
  compactAfterEntries?: number;
}

/** In-memory store with an optional append-only journal. */
export class MemoryFileStore implements ResourceStore {
  readonly #objects = new Map<string, StoredResource>();
  readonly #hub: WatchHub;
  #revision = 0;
  #journal?: Journal;
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;
  /** Warnings raised while loading the journal (also passed to `onWarning`). */
  readonly loadWarnings: string[] = [];

  private constructor(opts: MemoryFileStoreOptions) {
    this.#hub = new WatchHub(opts.maxHistoryEvents ?? 10_000, () => this.#snapshot(), opts.onWarning);
  }

  /**
   * Opens (or creates) a store; with a `path`, replays the journal first.
   *
   * @example
   * const store = await MemoryFileStore.open({ path: 'data/resources.jsonl' });
   */
  static async open(opts: MemoryFileStoreOptions = {}): Promise<MemoryFileStore> {
    const store = new MemoryFileStore(opts);
    if (opts.path) await store.#load(opts.path, opts);
    return store;
  }

  async #load(path: string, opts: MemoryFileStoreOptions): Promise<void> {
    const { journal, contents } = await Journal.open(path);
    this.#journal = journal;
    const warn = opts.onWarning ?? ((m: string) => console.warn(`meshwork store: ${m}`));
    for (const w of contents.warnings) {
      this.loadWarnings.push(w);
      warn(w);
    }
    for (const entry of contents.entries) this.#replay(entry);
    if (contents.corruptMiddle || contents.entries.length > (opts.compactAfterEntries ?? 10_000)) {
      await journal.compact({
        revision: this.#revision,
        ops: this.#snapshot().map((r) => ({ op: 'put', resource: r })),
      });
    }
  }

  #replay(entry: JournalEntry): void {
    if (entry.snapshot) {
      this.#objects.clear();
      this.#hub.reset(entry.revision);
    }
    for (const op of entry.ops) {
      if (op.op === 'put') {
        const key = storeKey(op.resource.kind, op.resource.metadata.namespace, op.resource.metadata.name);
        const existed = this.#objects.has(key);
        this.#objects.set(key, op.resource);
        if (!entry.snapshot)
          this.#hub.record({
            type: existed ? 'MODIFIED' : 'ADDED',
            resource: op.resource,
            revision: entry.revision,
          });
      } else {
        const key = storeKey(op.kind, op.namespace, op.name);
        const previous = this.#objects.get(key);
        this.#objects.delete(key);
        if (previous) this.#hub.record({ type: 'DELETED', resource: previous, revision: entry.revision });
      }
    }
    this.#revision = entry.revision;
  }

  /** Runs writes one at a time. */
  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => {});
    return run;
  }

  #assertOpen(): void {
    if (this.#closed) throw new ControlPlaneError('MESH_ERR_CP_STORE_CLOSED', 'the store is closed');
  }

  apply(resources: readonly Resource[], opts: ApplyOptions = {}): Promise<ApplyResult> {
    return this.#exclusive(async () => {
      this.#assertOpen();
      const plan = planApply(resources, (k) => this.#objects.get(k));
      if (opts.dryRun || plan.writes.length === 0) {
        if (opts.dryRun) stampRevision(plan, this.#revision + 1);
        return { revision: this.#revision, results: plan.items };
      }
      if (opts.ifViewCurrent !== undefined && opts.ifViewCurrent !== String(this.#revision))
        throw new StaleViewError(opts.ifViewCurrent, this.#revision);
      const revision = this.#revision + 1;
      stampRevision(plan, revision);
      await this.#journal?.append({
        revision,
        ops: plan.writes.map((w) => ({ op: 'put', resource: w.resource })),
      });
      this.#revision = revision;
      for (const w of plan.writes) this.#objects.set(w.key, w.resource);
      for (const w of plan.writes) {
        this.#hub.publish({
          type: w.action === 'created' ? 'ADDED' : 'MODIFIED',
          resource: w.resource,
          revision,
        });
      }
      return { revision, results: plan.items };
    });
  }

  async get(kind: string, namespace: string, name: string): Promise<StoredResource | undefined> {
    this.#assertOpen();
    const r = this.#objects.get(storeKey(kind, namespace, name));
    return r && cloneResource(r);
  }

  async list(filter: ListFilter = {}): Promise<StoredResource[]> {
    this.#assertOpen();
    const matches = compileLabelSelector(filter.labelSelector);
    const out: StoredResource[] = [];
    for (const r of this.#objects.values()) {
      if (filter.kind !== undefined && r.kind !== filter.kind) continue;
      if (filter.namespace !== undefined && r.metadata.namespace !== filter.namespace) continue;
      if (!matches(r.metadata.labels)) continue;
      out.push(cloneResource(r));
    }
    return out.sort(byKey);
  }

  view(): Promise<StoreView> {
    return this.#exclusive(async () => ({ resources: await this.list(), token: String(this.#revision) }));
  }

  delete(kind: string, namespace: string, name: string, opts: DeleteOptions = {}): Promise<DeleteResult> {
    return this.#exclusive(async () => {
      this.#assertOpen();
      const key = storeKey(kind, namespace, name);
      const previous = this.#objects.get(key);
      if (!previous) throw new NotFoundError(key);
      if (opts.resourceVersion && opts.resourceVersion !== previous.metadata.resourceVersion) {
        throw new ConflictError(
          kind,
          namespace,
          name,
          opts.resourceVersion,
          previous.metadata.resourceVersion,
        );
      }
      const revision = this.#revision + 1;
      await this.#journal?.append({ revision, ops: [{ op: 'delete', kind, namespace, name }] });
      this.#revision = revision;
      this.#objects.delete(key);
      const last = cloneResource(previous);
      last.metadata.resourceVersion = String(revision);
      this.#hub.publish({ type: 'DELETED', resource: last, revision });
      return { revision, resource: cloneResource(last) };
    });
  }

  revision(): number {
    return this.#revision;
  }

  watch(fromRevision: number, onEvent: (event: WatchEvent) => void): () => void {
    this.#assertOpen();
    return this.#hub.subscribe(fromRevision, this.#revision, onEvent);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#queue;
    this.#closed = true;
    this.#hub.close();
    await this.#journal?.close();
  }

  #snapshot(): StoredResource[] {
    return [...this.#objects.values()].sort(byKey);
  }
}

/** Orders resources by kind, namespace, name. */
export function byKey(a: StoredResource, b: StoredResource): number {
  return (
    a.kind.localeCompare(b.kind) ||
    a.metadata.namespace.localeCompare(b.metadata.namespace) ||
    a.metadata.name.localeCompare(b.metadata.name)
  );
}
