/**
 * A per-balancer xorshift32 generator for the pick path. Calling an injected `() => number`
 * through a field boxes its double result in V8 (measured: ~3.5 bytes per pick); this generator
 * keeps its state as an int32 and hands out small integers, which V8 passes unboxed. It is seeded
 * from the injected random source, so tests with a seeded source stay deterministic.
 */
import type { RandomSource } from '../clock.js';

/** Allocation-free uniform integer draws, seeded once. */
export class FastRandom {
  private state: number;

  constructor(seed: RandomSource) {
    this.state = Math.floor(seed() * 4294967296) | 0 || 0x2545f491;
  }

  /** Uniform integer in [0, bound). */
  nextInt(bound: number): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x | 0;
    return Math.floor(((x >>> 0) / 4294967296) * bound);
  }
}
