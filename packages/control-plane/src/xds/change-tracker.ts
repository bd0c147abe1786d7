/**
 * Per-change convergence: every store revision (the change id an apply returns) is followed from
 * the moment the control plane sees it, through the debounced push, to each affected proxy's ACK
 * or NACK. `GET /changes/<id>` reports it; nobody in the anchors offers this and Istio users ask
 * for it.
 */

/** Where one change stands. */
export interface ChangeReport {
  id: string;
  /** `debouncing` until the push that carries it; then `pushed`. */
  state: 'debouncing' | 'pushed';
  /** RFC 3339 time the control plane saw the change. */
  observedAt: string;
  /** From observing the change to the start of the push that carries it (the debounce). */
  pushDelayMs?: number;
  /** From observing the change to the last affected proxy's snapshot handed to its stream. */
  deliveredMs?: number;
  proxies: {
    /** Proxies connected when the change was pushed. */
    total: number;
    /** Proxies that applied it (including `unaffected` ones). */
    acked: number;
    nacked: number;
    pending: number;
    /** Connected proxies whose configuration the change did not alter. */
    unaffected: number;
    /** Affected proxies that went away before answering. */
    disconnected: number;
  };
  nacks: { node: string; typeUrl: string; version: string; error: string }[];
  /** From observing the change to each affected proxy's ACK. */
  convergenceMs: { p50: number; p90: number; p99: number; max: number };
}

/** What one proxy was sent in a push: per type URL, the version it must ACK. */
export interface NodePush {
  nodeId: string;
  versions: ReadonlyMap<string, string>;
}

/** What proxies sent one `NodePush.versions` map must answer: per type URL, the version. */
interface Want {
  typeUrls: readonly string[];
  versions: readonly number[];
}

interface Change {
  id: string;
  observedAtMs: number;
  pushedAtMs?: number;
  deliveredAtMs?: number;
  total: number;
  acked: number;
  unaffected: number;
  disconnected: number;
  /**
   * Per affected proxy still to answer, what it was sent and a bit mask (by index in
   * `Want.typeUrls`) of the types not yet ACKed. Proxies of one push share their `Want`.
   */
  pending: Map<string, Want>;
  waiting: Map<string, number>;
  nacks: ChangeReport['nacks'];
  durationsMs: number[];
}

/** Options of a {@link ChangeTracker}. */
export interface ChangeTrackerOptions {
  /** Changes remembered (oldest forgotten first). Default 1000. */
  capacity?: number;
  now?: () => number;
}

/** Tracks convergence of changes across proxies. */
export class ChangeTracker {
  private readonly changes = new Map<string, Change>();
  private readonly unpushed: Change[] = [];
  private readonly byNode = new Map<string, Set<Change>>();
  private readonly capacity: number;
  private readonly now: () => number;

  constructor(options: ChangeTrackerOptions = {}) {
    this.capacity = options.capacity ?? 1000;
    this.now = options.now ?? Date.now;
  }

  /** A change was observed; it waits for the next push. */
  observe(id: string): void {
    if (this.changes.has(id)) return;
    const change: Change = {
      id,
      observedAtMs: this.now(),
      total: 0,
      acked: 0,
      unaffected: 0,
      disconnected: 0,
      pending: new Map(),
      waiting: new Map(),
      nacks: [],
      durationsMs: [],
    };
    this.changes.set(id, change);
    this.unpushed.push(change);
    while (this.changes.size > this.capacity) this.forget(this.changes.keys().next().value as string);
  }

  /** True when some observed change has not been pushed yet. */
  get hasUnpushed(): boolean {
    return this.unpushed.length > 0;
  }

  /**
   * The push carrying every change observed since the last one went out: `pushes` are the proxies
   * whose configuration changed, `connected` counts every proxy connected.
   */
  pushed(pushes: readonly NodePush[], connected: number): readonly string[] {
    if (this.unpushed.length === 0) return [];
    const nowMs = this.now();
    const changes = this.unpushed.splice(0);
    const wants = new Map<ReadonlyMap<string, string>, Want>();
    for (const c of changes) {
      c.pushedAtMs = nowMs;
      c.total = connected;
      c.unaffected = connected - pushes.length;
      c.acked = c.unaffected;
      for (const p of pushes) {
        let want = wants.get(p.versions);
        if (!want) {
          want = { typeUrls: [...p.versions.keys()], versions: [...p.versions.values()].map(Number) };
          wants.set(p.versions, want);
        }
        c.pending.set(p.nodeId, want);
        c.waiting.set(p.nodeId, 2 ** want.typeUrls.length - 1);
        this.index(p.nodeId).add(c);
      }
    }
    return changes.map((c) => c.id);
  }

  /** The push carrying these changes has handed every affected proxy its snapshot. */
  delivered(ids: readonly string[]): void {
    const nowMs = this.now();
    for (const id of ids) {
      const c = this.changes.get(id);
      if (c && c.deliveredAtMs === undefined) c.deliveredAtMs = nowMs;
    }
  }

  /** A proxy applied `version` of `typeUrl` (an ACK, or nothing to send for it). */
  ack(nodeId: string, typeUrl: string, version: string): void {
    const v = Number(version);
    const set = this.byNode.get(nodeId);
    if (!set || !Number.isFinite(v)) return;
    const nowMs = this.now();
    for (const c of set) {
      const want = c.pending.get(nodeId);
      const i = want ? want.typeUrls.indexOf(typeUrl) : -1;
      if (i < 0 || v < want!.versions[i]) continue;
      const waiting = c.waiting.get(nodeId)! & ~(1 << i);
      if (waiting !== 0) {
        c.waiting.set(nodeId, waiting);
        continue;
      }
      this.settle(c, nodeId);
      c.acked++;
      c.durationsMs.push(nowMs - c.observedAtMs);
      set.delete(c);
    }
  }

  /** The proxy has answered `c` (or will not): it is no longer pending there. */
  private settle(c: Change, nodeId: string): boolean {
    c.waiting.delete(nodeId);
    return c.pending.delete(nodeId);
  }

  /** A proxy rejected `version` of `typeUrl`; it keeps its last good configuration. */
  nack(nodeId: string, typeUrl: string, version: string, error: string): void {
    const v = Number(version);
    const set = this.byNode.get(nodeId);
    if (!set) return;
    for (const c of set) {
      const want = c.pending.get(nodeId);
      const i = want ? want.typeUrls.indexOf(typeUrl) : -1;
      if (i < 0 || !(v >= want!.versions[i])) continue;
      this.settle(c, nodeId);
      c.nacks.push({ node: nodeId, typeUrl, version, error });
      set.delete(c);
    }
  }

  /**
   * A newer push took over before these proxies were handed the older one: their part of the older
   * changes is now followed by the newer change (which may not touch them at all), so they stop
   * being pending here and count as unaffected.
   */
  superseded(nodeIds: readonly string[], changeIds: readonly string[]): void {
    for (const id of changeIds) {
      const c = this.changes.get(id);
      if (!c) continue;
      for (const nodeId of nodeIds) {
        if (!this.settle(c, nodeId)) continue;
        c.unaffected++;
        c.acked++;
        this.byNode.get(nodeId)?.delete(c);
      }
    }
  }

  /** A proxy's last stream closed: whatever it had pending will not be answered. */
  disconnected(nodeId: string): void {
    const set = this.byNode.get(nodeId);
    if (!set) return;
    for (const c of set) {
      if (this.settle(c, nodeId)) c.disconnected++;
    }
    this.byNode.delete(nodeId);
  }

  /** The report of one change; undefined when the id is unknown (or long forgotten). */
  report(id: string): ChangeReport | undefined {
    const c = this.changes.get(id);
    if (!c) return undefined;
    const sorted = [...c.durationsMs].sort((a, b) => a - b);
    return {
      id: c.id,
      state: c.pushedAtMs === undefined ? 'debouncing' : 'pushed',
      observedAt: new Date(c.observedAtMs).toISOString(),
      pushDelayMs: c.pushedAtMs === undefined ? undefined : c.pushedAtMs - c.observedAtMs,
      deliveredMs: c.deliveredAtMs === undefined ? undefined : c.deliveredAtMs - c.observedAtMs,
      proxies: {
        total: c.total,
        acked: c.acked,
        nacked: c.nacks.length,
        pending: c.pending.size,
        unaffected: c.unaffected,
        disconnected: c.disconnected,
      },
      nacks: c.nacks,
      convergenceMs: {
        p50: percentile(sorted, 50),
        p90: percentile(sorted, 90),
        p99: percentile(sorted, 99),
        max: sorted.at(-1) ?? 0,
      },
    };
  }

  private index(nodeId: string): Set<Change> {
    let set = this.byNode.get(nodeId);
    if (!set) this.byNode.set(nodeId, (set = new Set()));
    return set;
  }

  private forget(id: string): void {
    const c = this.changes.get(id);
    if (!c) return;
    this.changes.delete(id);
    for (const nodeId of c.pending.keys()) this.byNode.get(nodeId)?.delete(c);
    const i = this.unpushed.indexOf(c);
    if (i >= 0) this.unpushed.splice(i, 1);
  }
}

/** Nearest-rank percentile of sorted values; 0 when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}
