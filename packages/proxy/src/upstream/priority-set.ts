/**
 * Turns a cluster's hosts into a balancing plan, Envoy's way: hosts are grouped by EDS priority;
 * each level's availability is `overprovisioning_factor × available share` (capped at 100%);
 * traffic fills level 0 up to its availability and spills the rest to the next levels. When the
 * levels together reach 100% no panic applies; below that, loads are normalised and a level whose
 * available share is under `healthy_panic_threshold` balances over all of its hosts (panic mode).
 * With no available host anywhere, every level panics and load follows host counts.
 */
import type { RandomSource } from './clock.js';
import type { UpstreamHost } from './host.js';
import { FastRandom } from './load-balancers/fast-random.js';
import type { LbSettings, LoadBalancer, LoadBalancerFactory } from './load-balancers/load-balancer.js';
import type { Host, LbContext } from './types.js';

/** A built plan: per-level balancers and cumulative loads. Rebuilt on every host-set change. */
export class PrioritySet {
  /** Balancers per level in use (levels with zero load are left out). */
  private readonly balancers: LoadBalancer[] = [];
  /** Cumulative load percent per balancer (last is 100). */
  private readonly cumulativeLoad: number[] = [];
  /** True when any level in use balances over unavailable hosts. */
  readonly panic: boolean = false;
  /** Number of hosts available for traffic (for stats). */
  readonly availableCount: number = 0;
  private readonly random: FastRandom;

  constructor(
    hosts: readonly UpstreamHost[],
    factory: LoadBalancerFactory,
    settings: LbSettings,
    random: RandomSource,
    panicThresholdPercent: number,
    overprovisioningPercent: number,
  ) {
    this.random = new FastRandom(random);
    const levels = groupByPriority(hosts);
    const available = levels.map((level) => level.filter((h) => h.available));
    this.availableCount = available.reduce((n, a) => n + a.length, 0);
    const availability = levels.map((level, i) =>
      Math.min(100, (overprovisioningPercent * available[i].length) / level.length),
    );
    const loads: number[] = [];
    let remaining = 100;
    for (const a of availability) {
      const load = Math.min(a, remaining);
      loads.push(load);
      remaining -= load;
    }
    const total = 100 - remaining;
    let panic = false;
    const add = (level: UpstreamHost[], load: number) => {
      if (load <= 0) return;
      this.balancers.push(factory(level, settings, random));
      this.cumulativeLoad.push((this.cumulativeLoad.at(-1) ?? 0) + load);
    };
    if (total === 0) {
      if (panicThresholdPercent > 0) {
        panic = levels.length > 0;
        for (const level of levels) add(level, (100 * level.length) / hosts.length);
      }
    } else {
      levels.forEach((level, i) => {
        const inPanic = total < 100 && (100 * available[i].length) / level.length < panicThresholdPercent;
        if (inPanic && loads[i] > 0) panic = true;
        add(inPanic ? level : available[i], (loads[i] * 100) / total);
      });
    }
    this.panic = panic;
  }

  /** Picks a level by load (one draw, only when several are in use), then a host from it. */
  chooseHost(ctx: LbContext): Host | null {
    const n = this.balancers.length;
    if (n === 1) return this.balancers[0].chooseHost(ctx);
    if (n === 0) return null;
    // Loads are percents; a draw in millionths keeps the integer path (no boxed doubles).
    const point = this.random.nextInt(1_000_000) / 10_000;
    for (let i = 0; i < n - 1; i++)
      if (point < this.cumulativeLoad[i]) return this.balancers[i].chooseHost(ctx);
    return this.balancers[n - 1].chooseHost(ctx);
  }
}

function groupByPriority(hosts: readonly UpstreamHost[]): UpstreamHost[][] {
  const byPriority = new Map<number, UpstreamHost[]>();
  for (const h of hosts) {
    let level = byPriority.get(h.priority);
    if (!level) byPriority.set(h.priority, (level = []));
    level.push(h);
  }
  return [...byPriority.entries()].sort((a, b) => a[0] - b[0]).map((e) => e[1]);
}
