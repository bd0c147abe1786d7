/**
 * The part of an apply every backend shares: checking `resourceVersion` preconditions, deciding
 * created / configured / unchanged, and filling server-side metadata. Backends differ only in how
 * they read the current objects and commit the planned writes atomically.
 */
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { ConflictError } from '../errors.js';
import {
  DEFAULT_NAMESPACE,
  formatKey,
  keyOf,
  type Resource,
  type StoredResource,
} from '../resources/resource.js';
import type { ApplyAction, ApplyResultItem } from './resource-store.js';

/** One planned write. `resource` lacks `resourceVersion` until the commit assigns it. */
export interface PlannedWrite {
  key: string;
  action: Exclude<ApplyAction, 'unchanged'>;
  resource: StoredResource;
  previous?: StoredResource;
}

/** The plan of an apply. */
export interface ApplyPlan {
  writes: PlannedWrite[];
  /** Per-document outcome, in document order; resourceVersions of writes are filled at commit. */
  items: ApplyResultItem[];
}

/**
 * Plans an apply against the current objects (`current(key)`), throwing `ConflictError` if a
 * document's `resourceVersion` is stale. `now` is the creation timestamp for new objects.
 */
export function planApply(
  resources: readonly Resource[],
  current: (key: string) => StoredResource | undefined,
  now: Date = new Date(),
): ApplyPlan {
  const writes: PlannedWrite[] = [];
  const items: ApplyResultItem[] = [];
  for (const input of resources) {
    const key = keyOf(input);
    const k = storeKey(key.kind, key.namespace, key.name);
    const previous = current(k);
    const expected = input.metadata.resourceVersion;
    if (expected !== undefined && expected !== '' && previous?.metadata.resourceVersion !== expected) {
      throw new ConflictError(
        key.kind,
        key.namespace,
        key.name,
        expected,
        previous?.metadata.resourceVersion,
      );
    }
    if (previous && sameContent(previous, input)) {
      items.push({ ...key, action: 'unchanged', resourceVersion: previous.metadata.resourceVersion });
      continue;
    }
    const resource = materialize(input, previous, now);
    const action = previous ? 'configured' : 'created';
    writes.push({ key: k, action, resource, previous });
    items.push({ ...key, action, resourceVersion: '' });
  }
  return { writes, items };
}

/** Fills `resourceVersion` of every written object and result item with the commit revision. */
export function stampRevision(plan: ApplyPlan, revision: number): void {
  const rv = String(revision);
  for (const w of plan.writes) w.resource.metadata.resourceVersion = rv;
  for (const item of plan.items) if (item.action !== 'unchanged') item.resourceVersion = rv;
}

/** The key a backend files a resource under: `Kind/namespace/name`. */
export function storeKey(kind: string, namespace: string, name: string): string {
  return formatKey({ kind, namespace, name });
}

/** Copies a stored resource so callers can never mutate the store's state. */
export function cloneResource(r: StoredResource): StoredResource {
  return structuredClone(r);
}

function sameContent(previous: StoredResource, input: Resource): boolean {
  return (
    previous.apiVersion === input.apiVersion &&
    isDeepStrictEqual(previous.spec, input.spec) &&
    isDeepStrictEqual(previous.metadata.labels ?? {}, input.metadata.labels ?? {}) &&
    isDeepStrictEqual(previous.metadata.annotations ?? {}, input.metadata.annotations ?? {})
  );
}

function materialize(input: Resource, previous: StoredResource | undefined, now: Date): StoredResource {
  const specChanged = !previous || !isDeepStrictEqual(previous.spec, input.spec);
  const metadata: StoredResource['metadata'] = {
    ...structuredClone(input.metadata),
    namespace: input.metadata.namespace ?? DEFAULT_NAMESPACE,
    resourceVersion: '',
    uid: previous?.metadata.uid ?? randomUUID(),
    generation: previous ? previous.metadata.generation + (specChanged ? 1 : 0) : 1,
    creationTimestamp: previous?.metadata.creationTimestamp ?? now.toISOString(),
  };
  return { apiVersion: input.apiVersion, kind: input.kind, metadata, spec: structuredClone(input.spec) };
}
