/**
 * A request hash as two unsigned 32-bit halves, so ring and table lookups compare plain numbers
 * instead of allocating BigInts per pick.
 */
import type { FastRandom } from './fast-random.js';

/** Reusable holder for a 64-bit hash split into halves; one per balancer, filled per pick. */
export class HashPoint {
  hi = 0;
  lo = 0;

  /**
   * Loads `hash`: a bigint is taken as Envoy's uint64 hash (mod 2^64); a number is spread over the
   * 64-bit space with murmur3's finaliser (a small number would otherwise land at the ring start);
   * undefined draws a random point, as Envoy does when the route has no hash policy.
   */
  load(hash: bigint | number | undefined, random: FastRandom): this {
    if (typeof hash === 'bigint') {
      this.hi = Number(BigInt.asUintN(32, hash >> 32n));
      this.lo = Number(BigInt.asUintN(32, hash));
    } else if (typeof hash === 'number') {
      const low = hash >>> 0;
      const high = Math.floor(Math.abs(hash) / 4294967296) >>> 0;
      this.hi = fmix32(low ^ 0x9e3779b9 ^ high);
      this.lo = fmix32(low ^ fmix32(high));
    } else {
      // 16-bit halves: each draw stays a small integer, so nothing is boxed.
      this.hi = ((random.nextInt(65536) << 16) | random.nextInt(65536)) >>> 0;
      this.lo = ((random.nextInt(65536) << 16) | random.nextInt(65536)) >>> 0;
    }
    return this;
  }

  /** The point modulo `m` (exact in doubles for any m below 2^32: 2^32 is applied as 2^16 twice). */
  mod(m: number): number {
    let x = this.hi % m;
    x = (x * 65536) % m;
    x = (x * 65536) % m;
    return (x + (this.lo % m)) % m;
  }
}

/** murmur3's 32-bit finaliser: full avalanche, no allocation. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
