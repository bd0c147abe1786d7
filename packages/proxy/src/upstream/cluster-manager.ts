/**
 * Owns every upstream cluster of a proxy. CDS pushes arrive through {@link ClusterManager.applyClusters}
 * (all-or-nothing: every cluster is validated before any is applied), EDS through
 * {@link ClusterManager.applyLoadAssignment}. An updated cluster keeps the state of every host that
 * remains (pool, in-flight count, ejection, health), so a push never drops in-flight requests.
 */
import { ProxyConfigError } from '../errors.js';
import { type Clock, type RandomSource, systemClock } from './clock.js';
import { UpstreamCluster } from './cluster.js';
import { type ClusterSettings, compileCluster } from './cluster-config.js';
import type { ClusterStatsSnapshot } from './cluster-stats.js';
import { DnsRefresher, type DnsResolve, systemDnsResolve } from './dns-resolver.js';
import { at, type EnvoyJson, readArray } from './envoy-json.js';
import { type CompiledLoadAssignment, compileLoadAssignment } from './load-assignment.js';
import type { UpstreamEvent, UpstreamEventListener } from './upstream-events.js';

/** Options of a {@link ClusterManager}; all optional. */
export interface ClusterManagerOptions {
  /** Drives outlier-detection ticks, health-check intervals and DNS refresh (default: system clock). */
  clock?: Clock;
  /** Random source for balancers, jitter and enforcement rolls (default `Math.random`). */
  random?: RandomSource;
  /** Receives ejection, health, membership and DNS events for logs and stats. */
  onEvent?: UpstreamEventListener;
  /** DNS resolution for STRICT_DNS / LOGICAL_DNS clusters (default: the system resolver). */
  resolveDns?: DnsResolve;
}

/**
 * The proxy's clusters.
 *
 * @example
 * const clusters = new ClusterManager({ onEvent: (e) => log.info(e) });
 * clusters.applyClusters(cdsResources);        // throws ProxyConfigError, nothing applied
 * clusters.applyLoadAssignment(edsResource);
 * const host = clusters.get('inventory')?.chooseHost({});
 */
export class ClusterManager {
  private readonly clusters = new Map<string, UpstreamCluster>();
  private readonly dns = new Map<string, DnsRefresher>();
  /** Latest EDS assignment per service name, kept for clusters that arrive after it. */
  private readonly assignments = new Map<string, CompiledLoadAssignment>();
  private readonly clock: Clock;
  private readonly random: RandomSource;
  private readonly resolveDns: DnsResolve;
  private readonly emit: UpstreamEventListener;

  constructor(options: ClusterManagerOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.resolveDns = options.resolveDns ?? systemDnsResolve;
    const listener = options.onEvent;
    this.emit = listener
      ? (event: UpstreamEvent) => {
          try {
            listener(event);
          } catch {
            // A failing log sink must not break balancing.
          }
        }
      : () => {};
  }

  /**
   * Replaces the full set of clusters (CDS state of the world). Throws {@link ProxyConfigError}
   * naming the first invalid field, e.g. `clusters[2].lb_policy: unsupported value "CLUSTER_PROVIDED"`;
   * then nothing is applied and the previous clusters stay in force.
   */
  applyClusters(clusters: readonly EnvoyJson[]): void {
    const compiled = this.validate(clusters);
    const wanted = new Set(compiled.map((c) => c.name));
    for (const name of [...this.clusters.keys()]) if (!wanted.has(name)) this.remove(name);
    for (const settings of compiled) {
      const existing = this.clusters.get(settings.name);
      // An identical push is a no-op, as in Envoy: no DNS re-resolution, no health-check restart.
      if (existing && JSON.stringify(existing.settings) === JSON.stringify(settings)) continue;
      if (existing) {
        existing.update(settings);
        this.emit({ type: 'cluster_updated', cluster: settings.name });
      } else {
        const cluster = new UpstreamCluster(settings, {
          clock: this.clock,
          random: this.random,
          emit: this.emit,
        });
        this.clusters.set(settings.name, cluster);
        this.emit({ type: 'cluster_added', cluster: settings.name });
      }
      this.assignHosts(this.clusters.get(settings.name)!);
    }
  }

  /**
   * Applies one EDS `ClusterLoadAssignment` to every EDS cluster whose service name is its
   * `cluster_name` (kept for clusters that arrive later). Throws {@link ProxyConfigError} on bad input.
   */
  applyLoadAssignment(cla: EnvoyJson): void {
    const assignment = compileLoadAssignment('cla', cla);
    this.assignments.set(assignment.clusterName, assignment);
    for (const cluster of this.clusters.values()) {
      const s = cluster.settings;
      if (s.type === 'EDS' && s.edsServiceName === assignment.clusterName) {
        cluster.setHosts(assignment.hosts, assignment.overprovisioningFactorPercent);
      }
    }
  }

  /**
   * EDS removed the assignment named `serviceName` (xDS `removed_resources`): its clusters lose
   * every endpoint, as Envoy's do, and the stored copy is forgotten.
   */
  removeLoadAssignment(serviceName: string): void {
    this.assignments.delete(serviceName);
    for (const cluster of this.clusters.values()) {
      const s = cluster.settings;
      if (s.type === 'EDS' && s.edsServiceName === serviceName) cluster.setHosts([]);
    }
  }

  /** The cluster named `name`, or undefined (→ the engine's `MESH_ERR_NO_CLUSTER`). */
  get(name: string): UpstreamCluster | undefined {
    return this.clusters.get(name);
  }

  /** Every cluster, in the order they were added. */
  all(): UpstreamCluster[] {
    return [...this.clusters.values()];
  }

  /** EDS resource names the xDS client should subscribe to. */
  edsServiceNames(): string[] {
    return this.all()
      .filter((c) => c.settings.type === 'EDS')
      .map((c) => c.settings.edsServiceName);
  }

  /** Per-cluster stats snapshots, for the Prometheus export and the admin page. */
  stats(): ClusterStatsSnapshot[] {
    return this.all().map((c) => c.stats());
  }

  /** Settles once every DNS cluster has finished its first resolution round. */
  async whenResolved(): Promise<void> {
    await Promise.all([...this.dns.values()].map((d) => d.ready));
  }

  /**
   * Settles when DNS clusters have resolved and every current host has had its first active health
   * check: Envoy's cluster warming, for a readiness probe. EDS clusters still waiting for their first
   * assignment are the xDS client's to wait for.
   */
  async whenWarm(): Promise<void> {
    await this.whenResolved();
    await Promise.all(this.all().map((c) => c.whenWarm()));
  }

  /** Stops every timer (outlier ticks, health checks, DNS refresh) and probe connection. */
  close(): void {
    for (const d of this.dns.values()) d.close();
    this.dns.clear();
    for (const c of this.clusters.values()) c.close();
  }

  private validate(clusters: readonly EnvoyJson[]): ClusterSettings[] {
    const list = readArray('clusters', clusters);
    const names = new Set<string>();
    return list.map((c, i) => {
      const settings = compileCluster(at('clusters', i), c);
      if (names.has(settings.name)) {
        throw new ProxyConfigError(
          at(at('clusters', i), 'name'),
          `duplicate cluster name ${JSON.stringify(settings.name)}`,
        );
      }
      names.add(settings.name);
      return settings;
    });
  }

  private remove(name: string): void {
    this.dns.get(name)?.close();
    this.dns.delete(name);
    this.clusters.get(name)?.close();
    this.clusters.delete(name);
    this.emit({ type: 'cluster_removed', cluster: name });
  }

  /** Sets hosts from the cluster's discovery type. */
  private assignHosts(cluster: UpstreamCluster): void {
    const s = cluster.settings;
    this.dns.get(s.name)?.close();
    this.dns.delete(s.name);
    if (s.type === 'STATIC') {
      cluster.setHosts(s.loadAssignment!.hosts, s.loadAssignment!.overprovisioningFactorPercent);
    } else if (s.type === 'EDS') {
      const assignment = this.assignments.get(s.edsServiceName);
      if (assignment) cluster.setHosts(assignment.hosts, assignment.overprovisioningFactorPercent);
    } else {
      // Until the first answer the cluster keeps the hosts it had (none when new).
      const refresher = new DnsRefresher(s, this.resolveDns, this.clock, this.emit, (hosts) => {
        if (this.clusters.get(s.name) === cluster) cluster.setHosts(hosts);
      });
      this.dns.set(s.name, refresher);
    }
  }
}
