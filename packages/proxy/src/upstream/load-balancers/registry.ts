/** Load balancers by Envoy `lb_policy` name. */
import { LeastRequestLoadBalancer } from './least-request.js';
import type { LbPolicy, LoadBalancerFactory } from './load-balancer.js';
import { MaglevLoadBalancer } from './maglev.js';
import { RandomLoadBalancer } from './random.js';
import { RingHashLoadBalancer } from './ring-hash.js';
import { RoundRobinLoadBalancer } from './round-robin.js';

/**
 * Factory per policy. Unknown names are rejected when a cluster is compiled, never per request.
 *
 * @example
 * const lb = LOAD_BALANCERS.get('MAGLEV')!(hosts, DEFAULT_LB_SETTINGS, Math.random);
 */
export const LOAD_BALANCERS: ReadonlyMap<LbPolicy, LoadBalancerFactory> = new Map<
  LbPolicy,
  LoadBalancerFactory
>([
  ['ROUND_ROBIN', (hosts, settings, random) => new RoundRobinLoadBalancer(hosts, settings, random)],
  ['LEAST_REQUEST', (hosts, settings, random) => new LeastRequestLoadBalancer(hosts, settings, random)],
  ['RING_HASH', (hosts, settings, random) => new RingHashLoadBalancer(hosts, settings, random)],
  ['MAGLEV', (hosts, settings, random) => new MaglevLoadBalancer(hosts, settings, random)],
  ['RANDOM', (hosts, settings, random) => new RandomLoadBalancer(hosts, settings, random)],
]);
