/**
 * The load-balancer family: one small contract, one registry by Envoy policy name. A balancer is
 * built once per host-set change (membership, weights, health, ejection, panic) from exactly the
 * hosts it may pick, so a pick is index math with no allocation and no availability checks.
 */
import type { RandomSource } from '../clock.js';
import type { Host, LbContext } from '../types.js';

/** Picks a host for one request attempt. */
export interface LoadBalancer {
  /** A host from the set the balancer was built with, or null when that set is empty. */
  chooseHost(ctx: LbContext): Host | null;
}

/** Envoy `Cluster.LbPolicy` names this proxy supports. */
export type LbPolicy = 'ROUND_ROBIN' | 'LEAST_REQUEST' | 'RING_HASH' | 'MAGLEV' | 'RANDOM';

/** Every supported policy, in Envoy enum order where it has one. */
export const LB_POLICIES: readonly LbPolicy[] = [
  'ROUND_ROBIN',
  'LEAST_REQUEST',
  'RING_HASH',
  'RANDOM',
  'MAGLEV',
];

/** Compiled per-policy settings (Envoy defaults in {@link DEFAULT_LB_SETTINGS}). */
export interface LbSettings {
  /** `least_request_lb_config.choice_count` (default 2: power of two choices). */
  readonly choiceCount: number;
  /** `least_request_lb_config.active_request_bias` (default 1.0; used when weights differ). */
  readonly activeRequestBias: number;
  /** `ring_hash_lb_config.minimum_ring_size` / `maximum_ring_size` (defaults 1024 / 8M). */
  readonly minRingSize: number;
  readonly maxRingSize: number;
  /** `maglev_lb_config.table_size`, a prime (default 65537). */
  readonly maglevTableSize: number;
}

/** Envoy's defaults. */
export const DEFAULT_LB_SETTINGS: LbSettings = Object.freeze({
  choiceCount: 2,
  activeRequestBias: 1,
  minRingSize: 1024,
  maxRingSize: 8 * 1024 * 1024,
  maglevTableSize: 65537,
});

/** Builds a balancer over `hosts` (already filtered to those it may pick). */
export type LoadBalancerFactory = (
  hosts: readonly Host[],
  settings: LbSettings,
  random: RandomSource,
) => LoadBalancer;

/** True when an earlier attempt of this request already used `host`. */
export function wasAttempted(ctx: LbContext, host: Host): boolean {
  const attempted = ctx.attemptedHosts;
  if (attempted === undefined) return false;
  for (let i = 0; i < attempted.length; i++) if (attempted[i] === host) return true;
  return false;
}

/**
 * Fallback for retries when the policy's own probing found only attempted hosts: the first host
 * after `start` not yet attempted, else `preferred` (Envoy reuses a host rather than fail).
 */
export function firstNotAttempted(
  hosts: readonly Host[],
  ctx: LbContext,
  start: number,
  preferred: Host,
): Host {
  const n = hosts.length;
  for (let i = 0; i < n; i++) {
    const h = hosts[(start + i) % n];
    if (!wasAttempted(ctx, h)) return h;
  }
  return preferred;
}

/** Whether every host has the same weight (balancers take a cheaper path then). */
export function weightsEqual(hosts: readonly Host[]): boolean {
  for (let i = 1; i < hosts.length; i++) if (hosts[i].weight !== hosts[0].weight) return false;
  return true;
}

/** Cumulative weights, for weighted random draws by binary search. */
export function cumulativeWeights(hosts: readonly Host[]): Float64Array {
  const out = new Float64Array(hosts.length);
  let sum = 0;
  for (let i = 0; i < hosts.length; i++) out[i] = sum += hosts[i].weight;
  return out;
}

/** Index of the first cumulative weight above `point` (point in [0, total)). */
export function searchCumulative(cumulative: Float64Array, point: number): number {
  let lo = 0;
  let hi = cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cumulative[mid] > point) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
