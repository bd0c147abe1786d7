/**
 * Weighted round robin. Equal weights walk the host array; unequal weights walk a schedule built
 * once by earliest-deadline-first (Envoy's EDF scheduler), so a host of weight 3 appears three
 * times per cycle, interleaved rather than in bursts.
 */
import type { RandomSource } from '../clock.js';
import type { Host, LbContext } from '../types.js';
import type { LbSettings, LoadBalancer } from './load-balancer.js';
import { firstNotAttempted, wasAttempted, weightsEqual } from './load-balancer.js';

/** Longest schedule kept; larger weight sums are scaled down to it (proportions kept to ±1 slot). */
const MAX_SCHEDULE = 65536;
/** Slots probed for a not-yet-attempted host before falling back to a scan. */
const RETRY_PROBES = 16;

/** Envoy `ROUND_ROBIN`. */
export class RoundRobinLoadBalancer implements LoadBalancer {
  private readonly hosts: readonly Host[];
  private readonly schedule: Uint32Array;
  private next: number;

  constructor(hosts: readonly Host[], _settings: LbSettings, random: RandomSource) {
    this.hosts = hosts;
    this.schedule = buildSchedule(hosts);
    // A random start keeps a fleet of proxies from hitting the same host in lockstep.
    this.next = Math.floor(random() * Math.max(1, this.schedule.length));
  }

  chooseHost(ctx: LbContext): Host | null {
    const schedule = this.schedule;
    const len = schedule.length;
    if (len === 0) return null;
    let i = this.next;
    if (i >= len) i = 0;
    let host = this.hosts[schedule[i]];
    this.next = i + 1;
    if (ctx.attemptedHosts !== undefined && ctx.attemptedHosts.length > 0 && wasAttempted(ctx, host)) {
      for (let p = 1; p < RETRY_PROBES && p < len; p++) {
        const candidate = this.hosts[schedule[(i + p) % len]];
        if (!wasAttempted(ctx, candidate)) return candidate;
      }
      host = firstNotAttempted(this.hosts, ctx, schedule[i], host);
    }
    return host;
  }
}

/** Host indexes in visiting order. */
export function buildSchedule(hosts: readonly Host[]): Uint32Array {
  const n = hosts.length;
  if (n === 0 || weightsEqual(hosts)) return Uint32Array.from({ length: n }, (_, i) => i);
  let total = 0;
  for (const h of hosts) total += h.weight;
  const scale = total > MAX_SCHEDULE ? MAX_SCHEDULE / total : 1;
  const weights = hosts.map((h) => Math.max(1, Math.round(h.weight * scale)));
  const divisor = weights.reduce(gcd);
  let length = 0;
  for (let i = 0; i < n; i++) length += weights[i] /= divisor;
  return edfOrder(weights, length);
}

/**
 * Earliest-deadline-first: host i is due at `(k + ½) / weight`; ties go to the lower index. The
 * half-step start interleaves light hosts early instead of after a burst of the heaviest.
 */
function edfOrder(weights: number[], length: number): Uint32Array {
  const out = new Uint32Array(length);
  const heap = weights.map((w, i) => ({ deadline: 0.5 / w, step: 1 / w, index: i }));
  const less = (a: (typeof heap)[0], b: (typeof heap)[0]) =>
    a.deadline < b.deadline || (a.deadline === b.deadline && a.index < b.index);
  for (let i = (heap.length >> 1) - 1; i >= 0; i--) siftDown(heap, i, less);
  for (let k = 0; k < length; k++) {
    const top = heap[0];
    out[k] = top.index;
    top.deadline += top.step;
    siftDown(heap, 0, less);
  }
  return out;
}

function siftDown<T>(heap: T[], i: number, less: (a: T, b: T) => boolean): void {
  for (;;) {
    const l = 2 * i + 1;
    const r = l + 1;
    let m = i;
    if (l < heap.length && less(heap[l], heap[m])) m = l;
    if (r < heap.length && less(heap[r], heap[m])) m = r;
    if (m === i) return;
    [heap[i], heap[m]] = [heap[m], heap[i]];
    i = m;
  }
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}
