/**
 * Deciding what changed for a proxy between two translations. Unchanged resources usually keep
 * their object identity (the translator caches them), which makes the common case a pointer
 * comparison; otherwise each object is serialized once and its text compared.
 */
import type { EnvoyJson } from '../translate/envoy.js';
import { type ProxySnapshot, RESOURCE_KINDS, type ResourceKind } from '../translate/snapshot.js';

const digests = new WeakMap<object, string>();

function digest(obj: EnvoyJson): string {
  let d = digests.get(obj);
  if (d === undefined) {
    d = JSON.stringify(obj);
    digests.set(obj, d);
  }
  return d;
}

/** True when two resource maps hold the same resources. */
export function sameResources(a: ReadonlyMap<string, EnvoyJson>, b: ReadonlyMap<string, EnvoyJson>): boolean {
  if (a === b) return true;
  if (a.size !== b.size) return false;
  for (const [name, next] of b) {
    const prev = a.get(name);
    if (prev === next) continue;
    if (prev === undefined || digest(prev) !== digest(next)) return false;
  }
  return true;
}

/** The kinds whose resources differ between `previous` (nothing sent yet when undefined) and `next`. */
export function changedKinds(previous: ProxySnapshot | undefined, next: ProxySnapshot): ResourceKind[] {
  if (!previous) return [...RESOURCE_KINDS];
  return RESOURCE_KINDS.filter((kind) => !sameResources(previous[kind], next[kind]));
}
