/**
 * Turns a cluster's hosts into a balancing plan, Envoy's way (load_balancer_impl.cc):
 * - hosts are grouped by EDS priority and split into healthy and degraded (`DEGRADED` EDS status);
 * - each level's healthy and degraded availability is `overprovisioning_factor × share` (≤ 100%);
 * - healthy load fills level 0 and spills to the next levels; whatever healthy hosts cannot carry
 *   goes to degraded hosts, again level by level;
 * - when all levels together reach less than 100% availability, loads are normalised and a level
 *   whose available share is under `healthy_panic_threshold` balances over all of its hosts;
 * - with no available host anywhere, every level panics and load follows host counts;
 * - with locality weighting, each set picks a locality by weight × availability, then a host.
 */
import type { RandomSource } from './clock.js';
import type { UpstreamHost } from './host.js';
import { FastRandom } from './load-balancers/fast-random.js';
import type {
  LbPolicy,
  LbSettings,
  LoadBalancer,
  LoadBalancerFactory,
} from './load-balancers/load-balancer.js';
import { wasAttempted } from './load-balancers/load-balancer.js';
import { LocalityWeightedLoadBalancer } from './load-balancers/locality-weighted.js';
import type { Host, LbContext } from './types.js';

/** What a plan is built from (all compiled from the cluster's settings). */
export interface PlanOptions {
  readonly policy: LbPolicy;
  readonly factory: LoadBalancerFactory;
  readonly settings: LbSettings;
  readonly random: RandomSource;
  readonly panicThresholdPercent: number;
  readonly overprovisioningPercent: number;
  readonly localityWeighted: boolean;
}

const HASH_POLICIES: ReadonlySet<LbPolicy> = new Set(['RING_HASH', 'MAGLEV']);
/** Set draws for a retry before settling for an attempted host. */
const RETRY_DRAWS = 4;

interface Level {
  readonly all: UpstreamHost[];
  readonly healthy: UpstreamHost[];
  readonly degraded: UpstreamHost[];
}

/** A built plan: balancers with cumulative loads. Rebuilt on every host-set change. */
export class PrioritySet {
  private panicking = false;
  /** Number of hosts available for traffic (for stats). */
  readonly availableCount: number = 0;
  /** Balancers in use (zero-load sets are left out). */
  private readonly balancers: LoadBalancer[] = [];
  /** Cumulative load percent per balancer (the last is 100). */
  private readonly cumulativeLoad: number[] = [];
  private readonly random: FastRandom;
  private readonly build: (hosts: UpstreamHost[], level: UpstreamHost[]) => LoadBalancer;

  constructor(hosts: readonly UpstreamHost[], options: PlanOptions) {
    const { factory, settings, random, panicThresholdPercent, overprovisioningPercent } = options;
    this.random = new FastRandom(random);
    const build = (set: UpstreamHost[]) => factory(set, settings, random);
    // Hash policies keep one ring over all localities, as Envoy's do; others pick a locality first.
    const byLocality = options.localityWeighted && !HASH_POLICIES.has(options.policy);
    this.build = byLocality
      ? (set, level) => new LocalityWeightedLoadBalancer(set, level, overprovisioningPercent, build, random)
      : build;
    const levels = groupByPriority(hosts);
    this.availableCount = levels.reduce((n, l) => n + l.healthy.length + l.degraded.length, 0);
    const share = (n: number, level: Level) =>
      Math.min(100, (overprovisioningPercent * n) / level.all.length);
    const healthyAvailability = levels.map((l) => share(l.healthy.length, l));
    const degradedAvailability = levels.map((l) => share(l.degraded.length, l));
    const total = Math.min(100, sum(healthyAvailability) + sum(degradedAvailability));
    if (total === 0) {
      if (panicThresholdPercent > 0) {
        this.panicking = levels.length > 0;
        for (const level of levels) this.add(level.all, level.all, (100 * level.all.length) / hosts.length);
      }
      return;
    }
    const healthyLoad = distribute(healthyAvailability, 100, total);
    const degradedLoad = distribute(degradedAvailability, 100 - sum(healthyLoad), total);
    levels.forEach((level, i) => {
      const availablePercent = (100 * (level.healthy.length + level.degraded.length)) / level.all.length;
      const inPanic = total < 100 && availablePercent < panicThresholdPercent;
      if (inPanic && healthyLoad[i] + degradedLoad[i] > 0) this.panicking = true;
      if (inPanic) this.add(level.all, level.all, healthyLoad[i] + degradedLoad[i]);
      else {
        this.add(level.healthy, level.all, healthyLoad[i]);
        this.add(level.degraded, level.all, degradedLoad[i]);
      }
    });
  }

  /** True when any level in use balances over unavailable hosts. */
  get panic(): boolean {
    return this.panicking;
  }

  /** Picks a set by load (one draw, only when several are in use), then a host from it. */
  chooseHost(ctx: LbContext): Host | null {
    const n = this.balancers.length;
    if (n === 1) return this.balancers[0].chooseHost(ctx);
    if (n === 0) return null;
    let host = this.pick(ctx, n);
    // A retry whose set offered only attempted hosts draws again (bounded), possibly another level.
    for (let i = 1; i < RETRY_DRAWS && host !== null && wasAttempted(ctx, host); i++)
      host = this.pick(ctx, n);
    // Still an attempted host: walk the sets in order for any other before settling.
    for (let i = 0; i < n && host !== null && wasAttempted(ctx, host); i++) {
      const candidate = this.balancers[i].chooseHost(ctx);
      if (candidate !== null && !wasAttempted(ctx, candidate)) host = candidate;
    }
    return host;
  }

  private pick(ctx: LbContext, n: number): Host | null {
    // Loads are percents; a draw in millionths keeps the integer path (no boxed doubles).
    const point = this.random.nextInt(1_000_000) / 10_000;
    for (let i = 0; i < n - 1; i++) {
      if (point < this.cumulativeLoad[i]) return this.balancers[i].chooseHost(ctx);
    }
    return this.balancers[n - 1].chooseHost(ctx);
  }

  private add(hosts: UpstreamHost[], level: UpstreamHost[], load: number): void {
    if (load <= 0 || hosts.length === 0) return;
    this.balancers.push(this.build(hosts, level));
    this.cumulativeLoad.push((this.cumulativeLoad.at(-1) ?? 0) + load);
  }
}

/** Envoy's `distributeLoad`: each level takes its normalised availability, spilling the rest on. */
function distribute(availability: number[], totalLoad: number, normalizedTotal: number): number[] {
  let remaining = totalLoad;
  return availability.map((a) => {
    const load = Math.min(remaining, (a * 100) / normalizedTotal);
    remaining -= load;
    return load;
  });
}

function sum(values: number[]): number {
  let s = 0;
  for (const v of values) s += v;
  return s;
}

function groupByPriority(hosts: readonly UpstreamHost[]): Level[] {
  const byPriority = new Map<number, Level>();
  for (const h of hosts) {
    let level = byPriority.get(h.priority);
    if (!level) byPriority.set(h.priority, (level = { all: [], healthy: [], degraded: [] }));
    level.all.push(h);
    if (h.available) (h.edsHealth === 'DEGRADED' ? level.degraded : level.healthy).push(h);
  }
  return [...byPriority.entries()].sort((a, b) => a[0] - b[0]).map((e) => e[1]);
}
