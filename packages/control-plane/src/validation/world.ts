/**
 * An index of everything the analysis cross-references: the hosts that exist (Services,
 * ServiceEntries, static instances, plus whatever the registry knows), the subsets each host's
 * DestinationRules define, and the Gateways. Built once per apply from the store's resources
 * with the applied documents laid over them.
 */
import { hostMatches, serviceFqdn, toFqdn } from '../resources/hosts.js';
import { isKind } from '../resources/kinds.js';
import { keyOf, type Resource } from '../resources/resource.js';

/**
 * Hooks through which the registry of live workloads informs the analysis. Each may answer
 * `undefined` for "I do not know", which never produces a finding.
 */
export interface AnalysisHooks {
  /** True when a registered (or otherwise known) service has this FQDN. */
  serviceKnown?(hostFqdn: string): boolean | undefined;
  /**
   * True when some known instance of `hostFqdn` carries every label in `labels`. For a host the
   * registry knows (`serviceKnown` true), anything but `true` means no instance carries them.
   */
  labelsKnown?(hostFqdn: string, labels: Record<string, string>): boolean | undefined;
}

/**
 * Keys under which a VirtualService claims its hosts: `gateway|fqdn` for each gateway it binds
 * (`mesh`, the sidecars, when it names none).
 */
export function routedHostKeys(hosts: readonly string[], gateways: readonly string[], ns: string): string[] {
  const bound =
    gateways.length === 0
      ? ['mesh']
      : gateways.map((g) => (g === 'mesh' || g.includes('/') ? g : `${ns}/${g}`));
  const out: string[] = [];
  for (const g of bound) for (const h of hosts) out.push(`${g}|${toFqdn(h, ns)}`);
  return out;
}

/** The cross-reference index. */
export class World {
  readonly #hosts = new Set<string>();
  /** Declared port numbers per host (Service ports, ServiceEntry ports). */
  readonly #ports = new Map<string, number[]>();
  readonly #wildcardHosts: string[] = [];
  readonly #subsets = new Map<string, Set<string>>();
  readonly #gateways = new Set<string>();
  readonly #staticLabels = new Map<string, Record<string, string>[]>();
  /** host FQDN → the subsets VirtualServices route to there, and which VirtualService does. */
  readonly #subsetUsers = new Map<string, { subset: string; virtualService: string }[]>();
  /** `gateway|host FQDN` → the VirtualServices (`ns/name`) routing that host there. */
  readonly #routedHosts = new Map<string, string[]>();

  constructor(
    resources: Iterable<Resource>,
    readonly hooks: AnalysisHooks = {},
  ) {
    for (const r of resources) this.#add(r);
  }

  #add(r: Resource): void {
    const ns = keyOf(r).namespace;
    if (isKind(r, 'Service')) {
      const fqdn = serviceFqdn(r.metadata.name, ns);
      this.#hosts.add(fqdn);
      this.#ports.set(
        fqdn,
        (r.spec.ports ?? []).map((p) => p.port),
      );
    } else if (isKind(r, 'ServiceEntry')) {
      for (const h of r.spec.hosts ?? []) {
        if (h.includes('*')) this.#wildcardHosts.push(h);
        else {
          this.#hosts.add(toFqdn(h, ns));
          this.#ports.set(
            toFqdn(h, ns),
            (r.spec.ports ?? []).map((p) => p.number),
          );
        }
        for (const ep of r.spec.endpoints ?? []) this.#addLabels(toFqdn(h, ns), ep.labels ?? {});
      }
    } else if (isKind(r, 'ServiceInstance')) {
      const fqdn = toFqdn(r.spec.service, ns);
      this.#hosts.add(fqdn);
      this.#addLabels(fqdn, { ...r.spec.labels, ...(r.spec.version ? { version: r.spec.version } : {}) });
    } else if (isKind(r, 'DestinationRule')) {
      const fqdn = toFqdn(r.spec.host, ns);
      let set = this.#subsets.get(fqdn);
      if (!set) this.#subsets.set(fqdn, (set = new Set()));
      for (const s of r.spec.subsets ?? []) set.add(s.name);
    } else if (isKind(r, 'Gateway')) this.#gateways.add(`${ns}/${r.metadata.name}`);
    else if (isKind(r, 'VirtualService')) {
      for (const key of routedHostKeys(r.spec.hosts ?? [], r.spec.gateways ?? [], ns)) {
        let list = this.#routedHosts.get(key);
        if (!list) this.#routedHosts.set(key, (list = []));
        list.push(`${ns}/${r.metadata.name}`);
      }
      for (const route of r.spec.http ?? []) {
        for (const d of route.route ?? []) {
          if (d.destination.subset === undefined) continue;
          const fqdn = toFqdn(d.destination.host, ns);
          let users = this.#subsetUsers.get(fqdn);
          if (!users) this.#subsetUsers.set(fqdn, (users = []));
          users.push({ subset: d.destination.subset, virtualService: `${ns}/${r.metadata.name}` });
        }
      }
    }
  }

  /** Other VirtualServices (`ns/name`) that route `key` (from {@link routedHostKeys}) besides `self`. */
  otherRoutesFor(key: string, self: string): string[] {
    return (this.#routedHosts.get(key) ?? []).filter((vs) => vs !== self);
  }

  #addLabels(fqdn: string, labels: Record<string, string>): void {
    let list = this.#staticLabels.get(fqdn);
    if (!list) this.#staticLabels.set(fqdn, (list = []));
    list.push(labels);
  }

  /** True when the host (FQDN) is defined by a resource or known to the registry. */
  hostKnown(fqdn: string): boolean {
    if (this.#hosts.has(fqdn)) return true;
    for (const w of this.#wildcardHosts) if (hostMatches(w, fqdn)) return true;
    return this.hooks.serviceKnown?.(fqdn) === true;
  }

  /** Subsets of `fqdn` that VirtualServices route to but no DestinationRule defines. */
  danglingSubsets(fqdn: string): { subset: string; virtualService: string }[] {
    return (this.#subsetUsers.get(fqdn) ?? []).filter((u) => !this.subsetKnown(fqdn, u.subset));
  }

  /** The port numbers a Service or ServiceEntry declares for the host; `undefined` when unknown. */
  portsOf(fqdn: string): readonly number[] | undefined {
    return this.#ports.get(fqdn);
  }

  /** True when some DestinationRule for the host defines the subset. */
  subsetKnown(fqdn: string, subset: string): boolean {
    return this.#subsets.get(fqdn)?.has(subset) ?? false;
  }

  /** True when a Gateway `namespace/name` exists. */
  gatewayKnown(namespacedName: string): boolean {
    return this.#gateways.has(namespacedName);
  }

  /**
   * Whether some instance carries `labels`: the registry hook decides when it answers; otherwise
   * the static instances (ServiceInstance, ServiceEntry endpoints) decide when the host has any;
   * otherwise `undefined` (nothing is known, e.g. an offline `check`).
   */
  labelsCarried(fqdn: string, labels: Record<string, string>): boolean | undefined {
    const fromRegistry = this.hooks.labelsKnown?.(fqdn, labels);
    if (fromRegistry !== undefined && fromRegistry) return true;
    const statics = this.#staticLabels.get(fqdn);
    if (statics?.some((have) => Object.entries(labels).every(([k, v]) => have[k] === v))) return true;
    if (fromRegistry === false) return false;
    // The registry has instances of this host and none of them carries the labels.
    if (this.hooks.labelsKnown && this.hooks.serviceKnown?.(fqdn) === true) return false;
    return statics && statics.length > 0 ? false : undefined;
  }
}
