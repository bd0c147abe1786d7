/** Weighted random: a uniform draw, then a binary search over cumulative weights built once. */
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

/** Draws repeated for a not-yet-attempted host before falling back to a scan. */
const RETRY_DRAWS = 4;

/** Envoy `RANDOM`. */
export class RandomLoadBalancer implements LoadBalancer {
  private readonly hosts: readonly Host[];
  private readonly cumulative: Float64Array | null;
  private readonly total: number;
  private readonly random: FastRandom;

  constructor(hosts: readonly Host[], _settings: LbSettings, random: RandomSource) {
    this.hosts = hosts;
    this.random = new FastRandom(random);
    this.cumulative = weightsEqual(hosts) ? null : cumulativeWeights(hosts);
    this.total = this.cumulative ? this.cumulative[hosts.length - 1] : hosts.length;
  }

  chooseHost(ctx: LbContext): Host | null {
    if (this.hosts.length === 0) return null;
    let index = this.draw();
    let host = this.hosts[index];
    if (ctx.attemptedHosts !== undefined && ctx.attemptedHosts.length > 0 && wasAttempted(ctx, host)) {
      for (let d = 1; d < RETRY_DRAWS; d++) {
        index = this.draw();
        if (!wasAttempted(ctx, this.hosts[index])) return this.hosts[index];
      }
      host = firstNotAttempted(this.hosts, ctx, index, host);
    }
    return host;
  }

  /** One weighted draw: a host index. */
  draw(): number {
    const point = this.random.nextInt(this.total);
    return this.cumulative ? searchCumulative(this.cumulative, point) : Math.floor(point);
  }
}
