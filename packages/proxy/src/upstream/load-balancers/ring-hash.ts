/**
 * Ketama-style consistent hashing with Envoy's entry keys: each host gets ring entries
 * `xxHash64("address:port_i")` in proportion to its weight, the ring at least `minimum_ring_size`
 * and at most `maximum_ring_size` entries. A request hash maps to
 * the first entry at or after it, wrapping; removing one of N hosts moves only ~1/N of the keys.
 */
import type { RandomSource } from '../clock.js';
import type { Host, LbContext } from '../types.js';
import { FastRandom } from './fast-random.js';
import { HashPoint } from './hash-point.js';
import type { LbSettings, LoadBalancer } from './load-balancer.js';
import { firstNotAttempted, wasAttempted } from './load-balancer.js';
import { xxHash64 } from './xxhash64.js';

/** Ring entries walked for a not-yet-attempted host before falling back to a scan. */
const RETRY_WALK = 64;

/** Envoy `RING_HASH`. */
export class RingHashLoadBalancer implements LoadBalancer {
  private readonly hosts: readonly Host[];
  /** Entry hashes split in halves, sorted ascending; `owner[i]` is the host index of entry i. */
  private readonly hi: Uint32Array;
  private readonly lo: Uint32Array;
  private readonly owner: Uint32Array;
  private readonly point = new HashPoint();
  private readonly random: FastRandom;

  constructor(hosts: readonly Host[], settings: LbSettings, random: RandomSource) {
    this.hosts = hosts;
    this.random = new FastRandom(random);
    const { hashes, owners } = buildRing(hosts, settings.minRingSize, settings.maxRingSize);
    this.hi = new Uint32Array(hashes.length);
    this.lo = new Uint32Array(hashes.length);
    this.owner = owners;
    for (let i = 0; i < hashes.length; i++) {
      this.hi[i] = Number(hashes[i] >> 32n);
      this.lo[i] = Number(BigInt.asUintN(32, hashes[i]));
    }
  }

  /** Number of entries on the ring. */
  get size(): number {
    return this.owner.length;
  }

  chooseHost(ctx: LbContext): Host | null {
    const size = this.owner.length;
    if (size === 0) return null;
    const p = this.point.load(ctx.hash, this.random);
    let i = this.search(p.hi, p.lo);
    const host = this.hosts[this.owner[i]];
    if (ctx.attemptedHosts === undefined || ctx.attemptedHosts.length === 0 || !wasAttempted(ctx, host)) {
      return host;
    }
    for (let step = 1; step < RETRY_WALK && step < size; step++) {
      i = i + 1 === size ? 0 : i + 1;
      const candidate = this.hosts[this.owner[i]];
      if (!wasAttempted(ctx, candidate)) return candidate;
    }
    return firstNotAttempted(this.hosts, ctx, this.owner[i], host);
  }

  /** Index of the first entry ≥ (hi, lo), wrapping to 0 past the end. */
  private search(hi: number, lo: number): number {
    let a = 0;
    let b = this.owner.length;
    while (a < b) {
      const mid = (a + b) >>> 1;
      const mh = this.hi[mid];
      if (mh < hi || (mh === hi && this.lo[mid] < lo)) a = mid + 1;
      else b = mid;
    }
    return a === this.owner.length ? 0 : a;
  }
}

/**
 * Ring construction. Keys (`address:port_i`, xxHash64) are Envoy's; entry counts differ on
 * purpose: Envoy rescales every host's share whenever N changes (at 10 → 9 hosts each survivor
 * gains ~10% new entries, so ~18% of keys move instead of ~10%). Here the lightest host's count is
 * rounded up to a power of two, so removing a host usually leaves every survivor's entries
 * untouched and only the removed host's keys move.
 */
function buildRing(
  hosts: readonly Host[],
  minRingSize: number,
  maxRingSize: number,
): { hashes: BigUint64Array; owners: Uint32Array } {
  if (hosts.length === 0) return { hashes: new BigUint64Array(0), owners: new Uint32Array(0) };
  let totalWeight = 0;
  let minWeight = Number.POSITIVE_INFINITY;
  for (const h of hosts) {
    totalWeight += h.weight;
    minWeight = Math.min(minWeight, h.weight);
  }
  const lightest = 2 ** Math.ceil(Math.log2(Math.max(1, (minRingSize * minWeight) / totalWeight)));
  // Entries per unit of weight, shrunk only when the ring would pass maximum_ring_size.
  const perWeight = Math.min(lightest / minWeight, maxRingSize / totalWeight);
  const counts = hosts.map((h) => Math.max(1, Math.round(h.weight * perWeight)));
  const hashes = new BigUint64Array(counts.reduce((a, b) => a + b, 0));
  const ownerOf = new Map<bigint, number>();
  let n = 0;
  hosts.forEach((host, index) => {
    const own = entryHashes(host.key, counts[index]);
    for (let i = 0; i < counts[index]; i++) {
      hashes[n++] = own[i];
      ownerOf.set(own[i], index);
    }
  });
  // A typed-array sort is native and numeric; owners are found again by hash (64-bit collisions
  // between entries are not a practical concern).
  hashes.sort();
  const owners = new Uint32Array(hashes.length);
  for (let i = 0; i < hashes.length; i++) owners[i] = ownerOf.get(hashes[i])!;
  return { hashes, owners };
}

/**
 * Entry hashes per host key, kept across rebuilds: an ejection or health flip rebuilds the ring
 * from the same hosts, and re-hashing thousands of keys with BigInt xxHash64 costs milliseconds.
 * Stored as 8-byte typed arrays and capped in total (about 8 MiB), then started afresh.
 */
const hashCache = new Map<string, BigUint64Array>();
const HASH_CACHE_MAX_ENTRIES = 1 << 20;
let cachedEntries = 0;

function entryHashes(key: string, count: number): BigUint64Array {
  const cached = hashCache.get(key);
  if (cached !== undefined && cached.length >= count) return cached;
  if (cachedEntries + count > HASH_CACHE_MAX_ENTRIES) {
    hashCache.clear();
    cachedEntries = 0;
  }
  const hashes = new BigUint64Array(count);
  const have = cached !== undefined && hashCache.has(key) ? cached.length : 0;
  if (have > 0) hashes.set(cached!);
  for (let i = have; i < count; i++) hashes[i] = xxHash64(`${key}_${i}`);
  hashCache.set(key, hashes);
  cachedEntries += count - have;
  return hashes;
}
