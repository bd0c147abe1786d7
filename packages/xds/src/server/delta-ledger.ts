/** Marks a subscribed name the client was told does not exist. */
export const ABSENT = '';

/** Unanswered responses remembered per type; beyond this the oldest is assumed applied. */
const MAX_PENDING = 64;

/** What one delta response changed for the client. */
export interface SentDelta {
  /** The response's `system_version_info`. */
  version: string;
  /** Resources sent, with their versions. */
  updates: ReadonlyMap<string, string>;
  /** Names sent in `removed_resources`; true when still subscribed (then held as ABSENT). */
  removals: ReadonlyMap<string, boolean>;
  /** `name@version` and removals, to recognise the same delta being sent again. */
  content: string;
}

/**
 * What a delta client holds, per resource version. The client applies responses in order and
 * drops the ones it NACKs, so the server can follow it exactly: `acked` is what it confirmed;
 * `known` adds the responses still in flight (what it will hold if it accepts them), which is
 * what the next delta is computed against. A NACK removes its response and recomputes `known`.
 */
export class DeltaLedger {
  private readonly acked: Map<string, string>;
  readonly known: Map<string, string>;
  private readonly pending = new Map<string, SentDelta>();

  constructor(initialVersions: Record<string, string>) {
    this.acked = new Map(Object.entries(initialVersions));
    this.known = new Map(this.acked);
  }

  /** Records a response sent with `nonce`. */
  sent(nonce: string, delta: SentDelta, wants: (name: string) => boolean): void {
    this.pending.set(nonce, delta);
    apply(this.known, delta, wants);
    if (this.pending.size > MAX_PENDING) {
      // A client that never answers must not grow this map without bound.
      const [oldest, oldestDelta] = this.pending.entries().next().value!;
      this.pending.delete(oldest);
      apply(this.acked, oldestDelta, wants);
    }
  }

  /** The client applied the response; returns it (undefined for an unknown or stale nonce). */
  ack(nonce: string, wants: (name: string) => boolean): SentDelta | undefined {
    const delta = this.pending.get(nonce);
    if (!delta) return undefined;
    this.pending.delete(nonce);
    apply(this.acked, delta, wants);
    return delta;
  }

  /** The client rejected the response and kept what it had; returns it. */
  nack(nonce: string, wants: (name: string) => boolean): SentDelta | undefined {
    const delta = this.pending.get(nonce);
    if (!delta) return undefined;
    this.pending.delete(nonce);
    this.known.clear();
    for (const [name, version] of this.acked) this.known.set(name, version);
    for (const inFlight of this.pending.values()) apply(this.known, inFlight, wants);
    return delta;
  }

  /** The client dropped `name` (unsubscribed, or asked for it again). */
  forget(name: string): void {
    this.acked.delete(name);
    this.known.delete(name);
  }
}

function apply(held: Map<string, string>, delta: SentDelta, wants: (name: string) => boolean): void {
  for (const [name, version] of delta.updates) if (wants(name)) held.set(name, version);
  for (const [name, subscribed] of delta.removals) {
    if (subscribed && wants(name)) held.set(name, ABSENT);
    else held.delete(name);
  }
}
