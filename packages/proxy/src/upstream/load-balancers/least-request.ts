/**
 * Least request by "power of N choices": draw `choice_count` hosts (weighted), keep the one with
 * the fewest requests in flight per unit of weight (ties keep the first drawn). With equal weights
 * this is Envoy's P2C exactly; with unequal weights Envoy runs an EDF over `weight / (active + 1)`,
 * which this approximates by drawing candidates in proportion to weight and scoring
 * `active / weight`, so an idle cluster splits by weight and a loaded one drains toward spare
 * capacity.
 */
import type { RandomSource } from '../clock.js';
import type { Host, LbContext } from '../types.js';
import { FastRandom } from './fast-random.js';
import type { LbSettings, LoadBalancer } from './load-balancer.js';
import {
  cumulativeWeights,
  firstNotAttempted,
  searchCumulative,
  wasAttempted,
  weightsEqual,
} from './load-balancer.js';

/** Envoy `LEAST_REQUEST`. */
export class LeastRequestLoadBalancer implements LoadBalancer {
  private readonly hosts: readonly Host[];
  private readonly cumulative: Float64Array | null;
  private readonly total: number;
  private readonly choiceCount: number;
  private readonly random: FastRandom;

  constructor(hosts: readonly Host[], settings: LbSettings, random: RandomSource) {
    this.hosts = hosts;
    this.random = new FastRandom(random);
    this.choiceCount = Math.max(1, settings.choiceCount);
    this.cumulative = weightsEqual(hosts) ? null : cumulativeWeights(hosts);
    this.total = this.cumulative ? this.cumulative[hosts.length - 1] : hosts.length;
  }

  chooseHost(ctx: LbContext): Host | null {
    const hosts = this.hosts;
    if (hosts.length === 0) return null;
    if (hosts.length === 1) return hosts[0];
    const retrying = ctx.attemptedHosts !== undefined && ctx.attemptedHosts.length > 0;
    let best: Host | null = null;
    let bestScore = Number.POSITIVE_INFINITY;
    for (let c = 0; c < this.choiceCount; c++) {
      const candidate = hosts[this.draw()];
      // On a retry an attempted host only wins if nothing else was drawn.
      const score =
        candidate.activeRequests / candidate.weight + (retrying && wasAttempted(ctx, candidate) ? 1e12 : 0);
      if (score < bestScore) {
        best = candidate;
        bestScore = score;
      }
    }
    if (retrying && best !== null && wasAttempted(ctx, best)) {
      return firstNotAttempted(hosts, ctx, this.random.nextInt(hosts.length), best);
    }
    return best;
  }

  private draw(): number {
    const point = this.random.nextInt(this.total);
    return this.cumulative ? searchCumulative(this.cumulative, point) : Math.floor(point);
  }
}
