/**
 * The runtime cluster: hosts with their state, a balancing plan rebuilt on every host-set change,
 * circuit-breaker limits, outlier detection and active health checking. The per-request calls
 * (`chooseHost`, `reportOutcome`) are a plan lookup plus counter updates.
 */

import type { UpstreamTlsConfig } from '../tls/upstream-tls-context.js';
import type { Clock, RandomSource } from './clock.js';
import type { ClusterSettings } from './cluster-config.js';
import { type ClusterCounters, type ClusterStatsSnapshot, snapshotStats } from './cluster-stats.js';
import { HealthChecker } from './health/health-checker.js';
import { type HostSpec, specKey, UpstreamHost } from './host.js';
import { CircuitBreakerLimits } from './limits.js';
import { LOAD_BALANCERS } from './load-balancers/registry.js';
import { OutlierDetector } from './outlier-detector.js';
import { PrioritySet } from './priority-set.js';
import type { Http2Settings } from './protocol-options.js';
import type { Cluster, Host, LbContext, RoutingPriority, UpstreamOutcome } from './types.js';
import type { UpstreamEventListener } from './upstream-events.js';

/** What a cluster needs from its manager. */
export interface ClusterRuntime {
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly emit: UpstreamEventListener;
}

/** A compiled, running upstream cluster (the engine's {@link Cluster}). */
export class UpstreamCluster implements Cluster {
  readonly name: string;
  settings: ClusterSettings;
  /** DEFAULT-priority circuit breakers (the contract's `limits`); HIGH via {@link limitsFor}. */
  readonly limits: CircuitBreakerLimits;
  readonly highPriorityLimits: CircuitBreakerLimits;
  readonly counters: ClusterCounters = {
    lbPicks: 0,
    lbHealthyPanic: 0,
    noHealthyHost: 0,
    responses: [0, 0, 0, 0, 0, 0],
    connectFailures: 0,
    resets: 0,
    timeouts: 0,
    membershipChanges: 0,
  };
  private hostList: UpstreamHost[] = [];
  private readonly hostsByKey = new Map<string, UpstreamHost>();
  private plan: PrioritySet;
  private outlier: OutlierDetector | undefined;
  private health: HealthChecker | undefined;
  private overprovisioningPercent = 140;
  private closed = false;
  private readonly runtime: ClusterRuntime;

  constructor(settings: ClusterSettings, runtime: ClusterRuntime) {
    this.name = settings.name;
    this.settings = settings;
    this.runtime = runtime;
    this.limits = new CircuitBreakerLimits('DEFAULT', settings.limits.DEFAULT);
    this.highPriorityLimits = new CircuitBreakerLimits('HIGH', settings.limits.HIGH);
    this.plan = this.buildPlan();
    this.configureOutlierDetection();
    this.configureHealthChecks(undefined);
  }

  get connectTimeoutMs(): number {
    return this.settings.connectTimeoutMs;
  }

  get tls(): UpstreamTlsConfig | undefined {
    return this.settings.upstreamTls;
  }

  get http2Settings(): Http2Settings {
    return this.settings.protocol.http2Settings;
  }

  get http2(): boolean {
    return this.settings.protocol.http2;
  }

  get maxRequestsPerConnection(): number {
    return this.settings.protocol.maxRequestsPerConnection;
  }

  get idleTimeoutMs(): number {
    return this.settings.protocol.idleTimeoutMs;
  }

  /** True while the plan balances over unavailable hosts (Envoy panic mode). */
  get panic(): boolean {
    return this.plan.panic;
  }

  /** Circuit breakers for a route's priority. */
  limitsFor(priority: RoutingPriority): CircuitBreakerLimits {
    return priority === 'HIGH' ? this.highPriorityLimits : this.limits;
  }

  chooseHost(ctx: LbContext): Host | null {
    const host = this.plan.chooseHost(ctx);
    if (host === null) {
      this.counters.noHealthyHost++;
      return null;
    }
    this.counters.lbPicks++;
    if (this.plan.panic) this.counters.lbHealthyPanic++;
    return host;
  }

  reportOutcome(host: Host, outcome: UpstreamOutcome, _durationMs: number): void {
    const c = this.counters;
    const h = (host as UpstreamHost).counters;
    h.rqTotal++;
    if (outcome.kind === 'response') {
      const cls = (outcome.status / 100) | 0;
      c.responses[cls < 6 ? cls : 0]++;
      if (cls < 5) h.rqSuccess++;
      else h.rqError++;
    } else {
      h.rqError++;
      if (outcome.kind === 'connect-failure') {
        c.connectFailures++;
        h.cxConnectFail++;
      } else if (outcome.kind === 'reset') c.resets++;
      else {
        c.timeouts++;
        h.rqTimeout++;
      }
    }
    // A removed host's late results are dropped: it no longer counts toward ejection percentages.
    if (this.outlier !== undefined && !(host as UpstreamHost).removed) {
      this.outlier.report(host as UpstreamHost, outcome);
    }
  }

  hosts(): readonly UpstreamHost[] {
    return this.hostList;
  }

  /** The host with `key` (`address:port`), if this cluster has it. */
  host(key: string): UpstreamHost | undefined {
    return this.hostsByKey.get(key);
  }

  /**
   * Replaces the membership. Hosts whose key remains keep all runtime state (pool, ejection,
   * health, in-flight count); new ones start fresh; removed ones are announced for draining.
   */
  setHosts(specs: readonly HostSpec[], overprovisioningPercent = 140): void {
    const next: UpstreamHost[] = [];
    const fresh = new Set<UpstreamHost>();
    const keep = new Set<string>();
    for (const spec of specs) {
      const key = specKey(spec);
      // Two DNS names can resolve to one address; a second copy would double that host's share.
      if (keep.has(key)) continue;
      const existing = this.hostsByKey.get(key);
      const host = existing ?? new UpstreamHost(spec);
      if (existing) existing.update(spec);
      else fresh.add(host);
      keep.add(host.key);
      next.push(host);
    }
    const removed = this.hostList.filter((h) => !keep.has(h.key));
    for (const h of removed) h.removed = true;
    this.hostList = next;
    this.hostsByKey.clear();
    for (const h of next) this.hostsByKey.set(h.key, h);
    this.overprovisioningPercent = overprovisioningPercent;
    if (fresh.size > 0 || removed.length > 0) this.counters.membershipChanges++;
    this.outlier?.setHosts(next);
    this.health?.setHosts(next, fresh);
    this.rebuild();
    for (const h of fresh) this.emitHost('host_added', h);
    for (const h of removed) this.emitHost('host_removed', h);
  }

  /** Applies new settings for the same cluster name, keeping hosts and their state. */
  update(settings: ClusterSettings): void {
    const previous = this.settings;
    this.settings = settings;
    this.limits.setThresholds(settings.limits.DEFAULT);
    this.highPriorityLimits.setThresholds(settings.limits.HIGH);
    this.configureOutlierDetection();
    this.configureHealthChecks(previous);
    this.rebuild();
  }

  /** Rebuilds the balancing plan; called on every membership, health or ejection change. */
  rebuild(): void {
    const wasPanic = this.plan.panic;
    this.plan = this.buildPlan();
    if (wasPanic !== this.plan.panic)
      this.runtime.emit({ type: 'panic_changed', cluster: this.name, panic: this.plan.panic });
  }

  /** Settles once every current host has had its first active health check (at once without checks). */
  whenWarm(): Promise<void> {
    return this.health?.whenFirstChecked() ?? Promise.resolve();
  }

  /** Stops timers and probe connections; every host is announced as removed (pools drain). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const h of this.hostList) {
      h.removed = true;
      this.emitHost('host_removed', h);
    }
    this.outlier?.stop();
    this.health?.close();
    this.outlier = undefined;
    this.health = undefined;
  }

  /** A stats snapshot for the Prometheus export and the admin page. */
  stats(): ClusterStatsSnapshot {
    return snapshotStats(this, this.hostList, this.outlier?.stats, this.health?.stats);
  }

  private buildPlan(): PrioritySet {
    const s = this.settings;
    return new PrioritySet(this.hostList, {
      policy: s.lbPolicy,
      factory: LOAD_BALANCERS.get(s.lbPolicy)!,
      settings: s.lbSettings,
      random: this.runtime.random,
      panicThresholdPercent: s.healthyPanicThresholdPercent,
      overprovisioningPercent: this.overprovisioningPercent,
      localityWeighted: s.localityWeighted,
    });
  }

  private configureOutlierDetection(): void {
    const od = this.settings.outlierDetection;
    if (od === undefined) {
      if (this.outlier) {
        this.outlier.stop();
        this.outlier = undefined;
        // Without detection nothing would ever un-eject these hosts.
        for (const h of this.hostList) h.ejected = false;
      }
      return;
    }
    if (this.outlier) {
      this.outlier.update(od);
      return;
    }
    const { clock, random } = this.runtime;
    this.outlier = new OutlierDetector(od, clock, random, {
      onEject: (host, reason, durationMs) => {
        this.rebuild();
        this.runtime.emit({
          type: 'ejected',
          cluster: this.name,
          host: host.key,
          endpoint: host,
          reason,
          durationMs,
        });
      },
      onUneject: (host) => {
        this.rebuild();
        this.emitHost('unejected', host);
      },
    });
    this.outlier.setHosts(this.hostList);
  }

  private configureHealthChecks(previous: ClusterSettings | undefined): void {
    const checks = this.settings.healthChecks;
    const unchanged =
      previous !== undefined &&
      sameJson(previous.healthChecks, checks) &&
      sameJson(previous.upstreamTlsContext, this.settings.upstreamTlsContext);
    if (this.health && unchanged) return;
    this.health?.close();
    this.health = undefined;
    if (checks.length === 0) {
      for (const h of this.hostList) h.failedActiveHealthCheck = false;
      return;
    }
    const { clock, random } = this.runtime;
    // Checks go through the cluster's transport socket, as Envoy's do.
    this.health = new HealthChecker(
      this.name,
      checks,
      clock,
      random,
      {
        onCheckResult: (host, healthy) => {
          if (healthy) this.outlier?.onActiveHealthCheckSuccess(host);
        },
        onHealthChanged: (host, healthy) => {
          this.rebuild();
          this.runtime.emit({
            type: 'health_changed',
            cluster: this.name,
            host: host.key,
            endpoint: host,
            healthy,
          });
        },
      },
      this.settings.upstreamTls,
    );
    // Hosts already serving keep their flag when checks are added or changed.
    this.health.setHosts(this.hostList, new Set());
  }

  private emitHost(type: 'host_added' | 'host_removed' | 'unejected', host: UpstreamHost): void {
    this.runtime.emit({ type, cluster: this.name, host: host.key, endpoint: host });
  }
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
