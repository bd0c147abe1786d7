/**
 * Runs the active health checks instances registered with: one timer chain per instance, results
 * folded into the registry with the instance's healthy/unhealthy thresholds.
 */
import { defaultProbe, type Probe } from './probes.js';
import type { Registry, RegistryChange } from './registry.js';

/** Options of a {@link HealthChecker}. */
export interface HealthCheckerOptions {
  /** The probe to run; injectable for tests. */
  probe?: Probe;
}

/** Active health checking for every registered instance that asked for it. */
export class HealthChecker {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly probe: Probe;
  private readonly unsubscribe: () => void;
  private closed = false;

  constructor(
    private readonly registry: Registry,
    options: HealthCheckerOptions = {},
  ) {
    this.probe = options.probe ?? defaultProbe;
    this.unsubscribe = registry.onChange((c) => this.onChange(c));
    for (const r of registry.list()) if (r.healthCheck) this.schedule(r.instanceId, 0);
  }

  /** Number of instances being checked. */
  get size(): number {
    return this.timers.size;
  }

  private onChange(change: RegistryChange): void {
    if (change.reason === 'registered' || change.reason === 'updated') {
      this.cancel(change.instanceId);
      if (this.registry.get(change.instanceId)?.healthCheck) this.schedule(change.instanceId, 0);
    } else if (change.reason === 'deregistered' || change.reason === 'removed') {
      this.cancel(change.instanceId);
    }
  }

  private schedule(instanceId: string, delayMs: number): void {
    if (this.closed) return;
    const timer = setTimeout(() => void this.tick(instanceId), delayMs);
    timer.unref();
    this.timers.set(instanceId, timer);
  }

  private async tick(instanceId: string): Promise<void> {
    const r = this.registry.get(instanceId);
    await this.runOnce(instanceId);
    const spec = r?.healthCheck;
    if (spec && this.registry.get(instanceId) === r && this.timers.has(instanceId))
      this.schedule(instanceId, spec.intervalMs);
  }

  /** Runs one check now; resolves when its result is recorded. */
  async runOnce(instanceId: string): Promise<void> {
    const r = this.registry.get(instanceId);
    const spec = r?.healthCheck;
    if (!r || !spec) return;
    const target = {
      type: spec.type,
      address: r.address,
      port: spec.port ?? r.port,
      path: spec.path,
      timeoutMs: spec.timeoutMs,
    };
    try {
      await this.probe(target);
      if (this.registry.get(instanceId) === r) this.registry.recordCheck(instanceId, true);
    } catch (err) {
      if (this.registry.get(instanceId) === r)
        this.registry.recordCheck(instanceId, false, (err as Error).message);
    }
  }

  private cancel(instanceId: string): void {
    const t = this.timers.get(instanceId);
    if (t) clearTimeout(t);
    this.timers.delete(instanceId);
  }

  /** Stops every check. */
  close(): void {
    this.closed = true;
    this.unsubscribe();
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}
