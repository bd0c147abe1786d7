/**
 * The store contract every backend implements (in-memory + append-only file, etcd). One
 * conformance suite (`conformance.ts`) runs against each. Semantics:
 *
 * - Every write (an apply of any number of resources, or a delete) commits atomically at one new
 *   store revision; each written resource's `metadata.resourceVersion` is that revision. The
 *   revision of an apply is its **change id**.
 * - An apply whose documents carry `metadata.resourceVersion` is conditional: if any differs from
 *   the stored one, nothing is written and a `ConflictError` (409) is thrown.
 * - Re-applying an identical resource is `unchanged`: no write, no event, no new revision.
 * - `generation` counts spec changes; label/annotation changes keep it.
 * - `watch(from)` delivers every event with revision > `from`, in revision order, then live
 *   events; `from = 0` delivers the whole history or, once history has been compacted, an
 *   `ADDED` event for every current resource (a resync).
 */
import type { Resource, ResourceKey, StoredResource } from '../resources/resource.js';

/** What happened to one resource in an apply. */
export type ApplyAction = 'created' | 'configured' | 'unchanged';

/** Per-resource outcome of an apply. */
export interface ApplyResultItem extends ResourceKey {
  action: ApplyAction;
  resourceVersion: string;
}

/** Outcome of an apply. `revision` is the change id. */
export interface ApplyResult {
  revision: number;
  results: ApplyResultItem[];
}

/** Options of an apply. */
export interface ApplyOptions {
  /** Validate preconditions and report what would happen, writing nothing. */
  dryRun?: boolean;
  /**
   * The token of a {@link StoreView}: an apply that writes commits only if nothing was written
   * since that view was taken (by this process or any other sharing the store), else it fails with
   * `MESH_ERR_CP_STALE_VIEW` and writes nothing. What was validated against the view is then
   * exactly what the apply commits onto. An apply that would write nothing succeeds either way.
   */
  ifViewCurrent?: string;
}

/** Every resource as of one moment, and a token to make an apply conditional on that moment. */
export interface StoreView {
  resources: StoredResource[];
  token: string;
}

/** Filter of a list. */
export interface ListFilter {
  kind?: string;
  namespace?: string;
  /** Kubernetes label selector: `app=reviews,version!=v1,tier in (web,api),!canary`. */
  labelSelector?: string;
}

/** A change delivered to watchers. */
export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  /** The resource after the change; for `DELETED`, its last state. */
  resource: StoredResource;
  revision: number;
}

/** Options of a delete. */
export interface DeleteOptions {
  /** Delete only if the stored resource still has this version (else `ConflictError`). */
  resourceVersion?: string;
}

/** Outcome of a delete. */
export interface DeleteResult {
  revision: number;
  resource: StoredResource;
}

/** The resource store. */
export interface ResourceStore {
  /** Writes resources all-or-nothing at one new revision. */
  apply(resources: readonly Resource[], opts?: ApplyOptions): Promise<ApplyResult>;
  /** One resource, or `undefined`. */
  get(kind: string, namespace: string, name: string): Promise<StoredResource | undefined>;
  /** Resources matching the filter, ordered by kind, namespace, name. */
  list(filter?: ListFilter): Promise<StoredResource[]>;
  /** Every resource with a token for {@link ApplyOptions.ifViewCurrent}. */
  view(): Promise<StoreView>;
  /** Deletes one resource; `NotFoundError` when absent, `ConflictError` on a stale version. */
  delete(kind: string, namespace: string, name: string, opts?: DeleteOptions): Promise<DeleteResult>;
  /** The latest revision this store has committed or observed. */
  revision(): number;
  /** Replays events after `fromRevision`, then delivers live ones; returns the unsubscribe function. */
  watch(fromRevision: number, onEvent: (event: WatchEvent) => void): () => void;
  /** Releases files, clients and watchers. */
  close(): Promise<void>;
}
