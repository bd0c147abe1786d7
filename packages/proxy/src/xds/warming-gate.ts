/**
 * Envoy's warming: a cluster waits for its endpoints, a listener for its route configurations,
 * before it takes traffic — but never for longer than a timeout (`initial_fetch_timeout`), so a
 * resource the control plane never sends cannot hold the configuration back forever.
 */

/** Waits until every named resource has arrived, or until released. */
export class WarmingGate {
  private readonly missing: Set<string>;
  private open!: () => void;
  private readonly opened: Promise<void>;

  constructor(missing: Iterable<string>) {
    this.missing = new Set(missing);
    this.opened = new Promise((resolve) => {
      this.open = resolve;
    });
    if (this.missing.size === 0) this.open();
  }

  /** Whether anything is still awaited. */
  get warm(): boolean {
    return this.missing.size === 0;
  }

  /** Marks resources as received; opens the gate when nothing is missing any more. */
  arrived(names: Iterable<string>): void {
    for (const n of names) this.missing.delete(n);
    if (this.missing.size === 0) this.open();
  }

  /** Opens the gate whatever is missing (superseded, or shutting down). */
  release(): void {
    this.open();
  }

  /** Resolves when the gate opens or `timeoutMs` has passed. */
  async wait(timeoutMs: number): Promise<void> {
    const timer = setTimeout(() => this.open(), timeoutMs);
    await this.opened;
    clearTimeout(timer);
  }
}
