/**
 * Envoy's locality-weighted load balancing (`common_lb_config.locality_weighted_lb_config`): a
 * locality is picked first, in proportion to `locality weight × availability`, where availability
 * is `min(1, overprovisioning_factor × available share of the locality)`; then the cluster's policy
 * picks a host inside it. Localities without a weight take no traffic, as in Envoy.
 */
import type { RandomSource } from '../clock.js';
import type { UpstreamHost } from '../host.js';
import type { Host, LbContext } from '../types.js';
import { FastRandom } from './fast-random.js';
import type { LoadBalancer } from './load-balancer.js';
import { searchCumulative, wasAttempted } from './load-balancer.js';

/** Effective weights are kept in thousandths so a draw stays an integer (nothing boxed per pick). */
const WEIGHT_SCALE = 1000;
/** Locality draws for a retry before settling for an attempted host. */
const RETRY_DRAWS = 4;

/** Picks a locality by effective weight, then a host with that locality's balancer. */
export class LocalityWeightedLoadBalancer implements LoadBalancer {
  private readonly localities: LoadBalancer[] = [];
  private readonly cumulative: Float64Array;
  private readonly total: number;
  private readonly random: FastRandom;

  /**
   * @param eligible hosts that may take traffic, any locality
   * @param all every host of the same priority level (for each locality's availability)
   * @param build the cluster's balancer over one locality's hosts
   */
  constructor(
    eligible: readonly UpstreamHost[],
    all: readonly UpstreamHost[],
    overprovisioningPercent: number,
    build: (hosts: UpstreamHost[]) => LoadBalancer,
    random: RandomSource,
  ) {
    this.random = new FastRandom(random);
    const totals = countByLocality(all);
    const groups = new Map<string, UpstreamHost[]>();
    for (const h of eligible) {
      const key = localityKey(h);
      let group = groups.get(key);
      if (!group) groups.set(key, (group = []));
      group.push(h);
    }
    const weights: number[] = [];
    for (const [key, hosts] of groups) {
      const availability = Math.min(1, (overprovisioningPercent / 100) * (hosts.length / totals.get(key)!));
      const weight = Math.round(hosts[0].localityWeight * availability * WEIGHT_SCALE);
      if (weight <= 0) continue;
      this.localities.push(build(hosts));
      weights.push(weight);
    }
    this.cumulative = new Float64Array(weights.length);
    let sum = 0;
    weights.forEach((w, i) => {
      this.cumulative[i] = sum += w;
    });
    this.total = sum;
  }

  chooseHost(ctx: LbContext): Host | null {
    const n = this.localities.length;
    if (n === 0) return null;
    if (n === 1) return this.localities[0].chooseHost(ctx);
    let host = this.pick(ctx);
    // A retry whose locality offered only attempted hosts draws another locality (bounded).
    for (let i = 1; i < RETRY_DRAWS && host !== null && wasAttempted(ctx, host); i++) host = this.pick(ctx);
    // Still an attempted host: walk the localities in order for any other before settling.
    for (let i = 0; i < n && host !== null && wasAttempted(ctx, host); i++) {
      const candidate = this.localities[i].chooseHost(ctx);
      if (candidate !== null && !wasAttempted(ctx, candidate)) host = candidate;
    }
    return host;
  }

  private pick(ctx: LbContext): Host | null {
    const index = searchCumulative(this.cumulative, this.random.nextInt(this.total));
    return this.localities[index].chooseHost(ctx);
  }
}

/** `region/zone/sub_zone`, the identity of a locality. */
export function localityKey(host: UpstreamHost): string {
  const l = host.locality;
  return l ? `${l.region ?? ''}/${l.zone ?? ''}/${l.sub_zone ?? ''}` : '//';
}

function countByLocality(hosts: readonly UpstreamHost[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const h of hosts) {
    const key = localityKey(h);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}
