/**
 * Grouping of a push: proxies that had the same snapshot (and versions) and get the same new one
 * share one diff and one encoded snapshot, so a push to a thousand replicas of one workload costs
 * one translation, one diff and one encoding plus a thousand stream writes.
 */
import { XdsSnapshot } from '@meshwork/xds';
import type { ProxySnapshot, ResourceKind } from '../translate/snapshot.js';
import { changedKinds } from './snapshot-diff.js';
import { TYPE_URL_OF } from './type-urls.js';

/** Proxies of one push that share a diff and an encoded snapshot. */
export interface PushGroup {
  from: ProxySnapshot | undefined;
  versionsKey: string;
  kinds: ResourceKind[];
  typeUrls: string[];
  versions: Record<ResourceKind, string>;
  /** Undefined when nothing changed in content. */
  prepared: XdsSnapshot | undefined;
  failed: boolean;
  /** Per type URL the version its proxies must ACK, shared by those served every type. */
  awaited?: ReadonlyMap<string, string>;
}

/** The groups of one push, by the new snapshot. */
export type PushGroups = Map<ProxySnapshot, PushGroup[]>;

/** What a group is keyed on for one proxy. */
export interface GroupMember {
  node: { id: string };
  sent: ProxySnapshot | undefined;
  versions: Record<ResourceKind, string>;
}

function versionKey(v: Record<ResourceKind, string>): string {
  return `${v.listeners}|${v.routes}|${v.clusters}|${v.endpoints}`;
}

/** The ADS snapshot input of a translated snapshot under per-kind versions. */
export function snapshotInput(snapshot: ProxySnapshot, versions: Record<ResourceKind, string>) {
  return {
    lds: { version: versions.listeners, resources: snapshot.listeners },
    rds: { version: versions.routes, resources: snapshot.routes },
    cds: { version: versions.clusters, resources: snapshot.clusters },
    eds: { version: versions.endpoints, resources: snapshot.endpoints },
  };
}

/**
 * The group of a proxy moving from `member.sent` to `next`, created on first use; undefined when
 * the new snapshot cannot be encoded (a translator bug: the proxy keeps its last config).
 * `previous` is the encoded snapshot the proxy holds, whose unchanged types are reused.
 */
export function groupFor(
  groups: PushGroups,
  member: GroupMember,
  next: ProxySnapshot,
  version: string,
  log: (message: string, err?: unknown) => void,
  previous?: XdsSnapshot,
): PushGroup | undefined {
  let list = groups.get(next);
  if (!list) groups.set(next, (list = []));
  const versionsKey = versionKey(member.versions);
  const found = list.find((g) => g.from === member.sent && g.versionsKey === versionsKey);
  if (found) return found.failed ? undefined : found;
  const kinds = changedKinds(member.sent, next);
  const versions = { ...member.versions };
  for (const kind of kinds) versions[kind] = version;
  const group: PushGroup = {
    from: member.sent,
    versionsKey,
    kinds,
    typeUrls: kinds.map((k) => TYPE_URL_OF[k]),
    versions,
    prepared: undefined,
    failed: false,
  };
  if (kinds.length > 0) {
    try {
      // Unchanged types keep the previous snapshot's objects, which streams skip at a glance.
      group.prepared = XdsSnapshot.from(snapshotInput(next, versions), previous);
    } catch (err) {
      log(`xds: snapshot for ${member.node.id} cannot be encoded`, err);
      group.failed = true;
    }
  }
  list.push(group);
  return group.failed ? undefined : group;
}
