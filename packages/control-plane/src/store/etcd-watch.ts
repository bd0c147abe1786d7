/**
 * One watch on the etcd store's key prefix, turned into store events. etcd cancels a watch whose
 * start revision has been compacted (the client library reports only "Watcher canceled"): the
 * history is gone, so the watch resyncs from current state — an `ADDED` event per resource, as the
 * store contract allows — and follows live events from there. Repeated failures without progress
 * give up with a warning rather than spin.
 */
import type { Etcd3, IKeyValue } from 'etcd3';
import type { StoredResource } from '../resources/resource.js';
import { byKey } from './memory-file-store.js';
import type { WatchEvent } from './resource-store.js';

/** What a watch needs from its store. */
export interface EtcdWatchContext {
  client: Etcd3;
  prefix: string;
  decode(kv: IKeyValue, revision?: string): StoredResource;
  observe(revision: string | number): void;
  warn(message: string): void;
  closed(): boolean;
}

const MAX_RESYNCS_WITHOUT_PROGRESS = 3;

/** A running watch. */
export class EtcdWatch {
  #cancelled = false;
  #cancelWatcher?: () => void;
  #resyncs = 0;

  constructor(
    private readonly ctx: EtcdWatchContext,
    private readonly onEvent: (event: WatchEvent) => void,
  ) {}

  /** Starts delivering events with revision > `fromRevision`. */
  start(fromRevision: number): void {
    this.ctx.client
      .watch()
      .prefix(`${this.ctx.prefix}/`)
      .withPreviousKV()
      .startRevision(String(fromRevision + 1))
      .create()
      .then((watcher) => {
        this.#cancelWatcher = () => void watcher.cancel().catch(() => {});
        if (this.#cancelled) return this.#cancelWatcher();
        watcher.on('data', (res) => {
          if (res.events.length > 0) this.#resyncs = 0;
          for (const e of res.events) {
            if (this.#cancelled) return;
            this.ctx.observe(e.kv.mod_revision);
            this.#emit(e.type, e.kv, e.prev_kv);
          }
        });
        watcher.on('error', (err) => this.#recover(err));
      })
      .catch((err: Error) => this.#recover(err));
  }

  /** Stops the watch; no event is delivered afterwards. */
  cancel(): void {
    this.#cancelled = true;
    this.#cancelWatcher?.();
  }

  #recover(err: Error): void {
    if (this.#cancelled || this.ctx.closed()) return;
    if (!/canceled|compacted/i.test(err.message) || ++this.#resyncs > MAX_RESYNCS_WITHOUT_PROGRESS) {
      this.ctx.warn(`watch failed: ${err.message}`);
      return;
    }
    this.#resync()
      .then((revision) => {
        if (!this.#cancelled) this.start(revision);
      })
      .catch((e: Error) => this.ctx.warn(`watch resync failed: ${e.message}`));
  }

  async #resync(): Promise<number> {
    const res = await this.ctx.client.getAll().prefix(`${this.ctx.prefix}/`).exec();
    const revision = Number(res.header.revision);
    this.ctx.observe(revision);
    const resources = res.kvs.map((kv) => this.ctx.decode(kv)).sort(byKey);
    for (const resource of resources) {
      if (this.#cancelled) break;
      this.#deliver({ type: 'ADDED', resource, revision });
    }
    return revision;
  }

  #emit(type: string, kv: IKeyValue, prev: IKeyValue | undefined): void {
    const revision = Number(kv.mod_revision);
    if (type === 'Delete') {
      // A delete whose previous value etcd no longer has happened before our history starts.
      if (prev)
        this.#deliver({ type: 'DELETED', resource: this.ctx.decode(prev, kv.mod_revision), revision });
      return;
    }
    const added = kv.create_revision === kv.mod_revision;
    this.#deliver({ type: added ? 'ADDED' : 'MODIFIED', resource: this.ctx.decode(kv), revision });
  }

  #deliver(event: WatchEvent): void {
    try {
      this.onEvent(event);
    } catch (err) {
      this.ctx.warn(`a watch listener threw: ${(err as Error).message}`);
    }
  }
}
