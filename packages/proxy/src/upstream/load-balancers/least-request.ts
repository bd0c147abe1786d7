/**
 * Envoy's `LEAST_REQUEST`:
 * - equal weights: "power of N choices" — draw `choice_count` hosts uniformly and keep the one with
 *   the fewest requests in flight (P2C by default);
 * - unequal weights: an earliest-deadline-first schedule where each host, when picked, comes back
 *   with weight `load_balancing_weight / (active_requests + 1) ^ active_request_bias` — busy hosts
 *   are due later, heavy hosts sooner. `active_request_bias` 0 gives weighted round robin.
 */
import type { RandomSource } from '../clock.js';
import type { Host, LbContext } from '../types.js';
import { EdfScheduler } from './edf-scheduler.js';
import { FastRandom } from './fast-random.js';
import type { LbSettings, LoadBalancer } from './load-balancer.js';
import { firstNotAttempted, wasAttempted, weightsEqual } from './load-balancer.js';

/** EDF picks tried on a retry before falling back to a scan. */
const RETRY_PICKS = 4;

/** Envoy `LEAST_REQUEST`. */
export class LeastRequestLoadBalancer implements LoadBalancer {
  private readonly hosts: readonly Host[];
  private readonly choiceCount: number;
  private readonly activeRequestBias: number;
  private readonly random: FastRandom;
  /** Present only when weights differ. */
  private readonly edf: EdfScheduler | null;

  constructor(hosts: readonly Host[], settings: LbSettings, random: RandomSource) {
    this.hosts = hosts;
    this.random = new FastRandom(random);
    this.choiceCount = Math.max(1, settings.choiceCount);
    this.activeRequestBias = settings.activeRequestBias;
    this.edf = weightsEqual(hosts) ? null : new EdfScheduler(hosts.length, (i) => this.weightOf(hosts[i]));
  }

  chooseHost(ctx: LbContext): Host | null {
    const hosts = this.hosts;
    if (hosts.length === 0) return null;
    if (hosts.length === 1) return hosts[0];
    const retrying = ctx.attemptedHosts !== undefined && ctx.attemptedHosts.length > 0;
    const best = this.edf === null ? this.fewestOfChoices(ctx, retrying) : this.pickEdf(ctx, retrying);
    if (retrying && wasAttempted(ctx, best)) {
      return firstNotAttempted(hosts, ctx, this.random.nextInt(hosts.length), best);
    }
    return best;
  }

  /** Envoy's dynamic weight for unequal weights. */
  private weightOf(host: Host): number {
    const bias = this.activeRequestBias;
    if (bias === 0) return host.weight;
    const load = host.activeRequests + 1;
    return host.weight / (bias === 1 ? load : load ** bias);
  }

  private pickEdf(ctx: LbContext, retrying: boolean): Host {
    const edf = this.edf!;
    let host = this.hosts[edf.pickAndAdd(this.weightOf(this.hosts[edf.peek()]))];
    for (let i = 1; retrying && i < RETRY_PICKS && wasAttempted(ctx, host); i++) {
      host = this.hosts[edf.pickAndAdd(this.weightOf(this.hosts[edf.peek()]))];
    }
    return host;
  }

  private fewestOfChoices(ctx: LbContext, retrying: boolean): Host {
    const hosts = this.hosts;
    let best = hosts[this.random.nextInt(hosts.length)];
    // On a retry an attempted host only wins if nothing else was drawn.
    let bestScore = best.activeRequests + (retrying && wasAttempted(ctx, best) ? 1e12 : 0);
    for (let c = 1; c < this.choiceCount; c++) {
      const candidate = hosts[this.random.nextInt(hosts.length)];
      const score = candidate.activeRequests + (retrying && wasAttempted(ctx, candidate) ? 1e12 : 0);
      if (score < bestScore) {
        best = candidate;
        bestScore = score;
      }
    }
    return best;
  }
}
