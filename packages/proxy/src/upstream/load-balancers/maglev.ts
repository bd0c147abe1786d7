/**
 * Maglev consistent hashing (Eisenbud et al., NSDI 2016) as Envoy builds it: each host walks its
 * own permutation of a prime-sized table (offset = xxHash64(key, 0) mod M, skip =
 * xxHash64(key, 1) mod (M − 1) + 1), claiming free slots in turns weighted by its weight. A pick
 * is one table read at `hash mod M`.
 */
import type { RandomSource } from '../clock.js';
import type { Host, LbContext } from '../types.js';
import { FastRandom } from './fast-random.js';
import { HashPoint } from './hash-point.js';
import type { LbSettings, LoadBalancer } from './load-balancer.js';
import { firstNotAttempted, wasAttempted } from './load-balancer.js';
import { xxHash64 } from './xxhash64.js';

/** Neighbouring slots probed for a not-yet-attempted host before falling back to a scan. */
const RETRY_PROBES = 64;

/** Envoy `MAGLEV`. */
export class MaglevLoadBalancer implements LoadBalancer {
  private readonly hosts: readonly Host[];
  /** Host index per slot. */
  readonly table: Uint32Array;
  private readonly point = new HashPoint();
  private readonly random: FastRandom;

  constructor(hosts: readonly Host[], settings: LbSettings, random: RandomSource) {
    this.hosts = hosts;
    this.random = new FastRandom(random);
    this.table = hosts.length === 0 ? new Uint32Array(0) : buildTable(hosts, settings.maglevTableSize);
  }

  chooseHost(ctx: LbContext): Host | null {
    const size = this.table.length;
    if (size === 0) return null;
    const slot = this.point.load(ctx.hash, this.random).mod(size);
    const host = this.hosts[this.table[slot]];
    if (ctx.attemptedHosts === undefined || ctx.attemptedHosts.length === 0 || !wasAttempted(ctx, host)) {
      return host;
    }
    for (let p = 1; p < RETRY_PROBES; p++) {
      const candidate = this.hosts[this.table[(slot + p) % size]];
      if (!wasAttempted(ctx, candidate)) return candidate;
    }
    return firstNotAttempted(this.hosts, ctx, this.table[slot], host);
  }
}

/**
 * Envoy's weighted table population (maglev_lb.cc). Each host's permutation
 * `(offset + skip × next) mod M` is walked incrementally (add `skip`, subtract M on overflow), which
 * keeps a rebuild to a few milliseconds for the default 65537 slots.
 */
function buildTable(hosts: readonly Host[], size: number): Uint32Array {
  const n = hosts.length;
  const m = BigInt(size);
  let maxWeight = 0;
  for (const h of hosts) maxWeight = Math.max(maxWeight, h.weight);
  const position = new Int32Array(n);
  const skip = new Int32Array(n);
  const weight = new Float64Array(n);
  const target = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    const p = permutation(hosts[j].key, size, m);
    position[j] = p.offset;
    skip[j] = p.skip;
    weight[j] = hosts[j].weight / maxWeight;
  }
  const table = new Uint32Array(size);
  const filled = new Uint8Array(size);
  let count = 0;
  for (let iteration = 0; count < size; iteration++) {
    for (let j = 0; j < n && count < size; j++) {
      // A host of weight w claims a slot on a w/max share of the turns.
      if (iteration * weight[j] < target[j]) continue;
      target[j] += 1;
      let c = position[j];
      while (filled[c]) {
        c += skip[j];
        if (c >= size) c -= size;
      }
      table[c] = j;
      filled[c] = 1;
      c += skip[j];
      position[j] = c >= size ? c - size : c;
      count++;
    }
  }
  return table;
}

/**
 * Each host's permutation (offset, skip) per table size, kept across rebuilds: BigInt xxHash64 of
 * every key on each ejection or health flip would cost milliseconds for large clusters.
 */
const permutationCache = new Map<string, { offset: number; skip: number }>();
const PERMUTATION_CACHE_MAX = 8192;

function permutation(key: string, size: number, m: bigint): { offset: number; skip: number } {
  const cacheKey = `${size}|${key}`;
  let p = permutationCache.get(cacheKey);
  if (p === undefined) {
    if (permutationCache.size >= PERMUTATION_CACHE_MAX) permutationCache.clear();
    p = { offset: Number(xxHash64(key, 0) % m), skip: Number(xxHash64(key, 1) % (m - 1n)) + 1 };
    permutationCache.set(cacheKey, p);
  }
  return p;
}
