/** Helpers shared by the load-balancer tests (not exported from the package). */
import { UpstreamHost } from '../host.js';

/** Deterministic PRNG (mulberry32) so distribution tests never flake. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` hosts 10.0.0.<i>:8080 with the given weights (default 1). */
export function makeHosts(count: number, weights: number[] = []): UpstreamHost[] {
  return Array.from(
    { length: count },
    (_, i) =>
      new UpstreamHost({
        address: `10.0.0.${i + 1}`,
        port: 8080,
        weight: weights[i] ?? 1,
        labels: {},
        edsHealth: 'HEALTHY',
        priority: 0,
      }),
  );
}
