/**
 * The three Kubernetes-style probes over a set of indicators: startup gates liveness (liveness is
 * not evaluated until the first startup success, so a slow start never triggers a restart),
 * readiness gates traffic, and shutdown forces readiness DOWN before draining.
 */
import { checkAll, type Health, type HealthIndicator, httpStatusOf } from './health.js';

/** A probe answer: HTTP status plus the aggregated report. */
export interface ProbeResult {
  httpStatus: number;
  health: Health;
}

/** Runs liveness, readiness and startup probes over registered indicators. */
export class Probes {
  private readonly indicators: HealthIndicator[] = [];
  private started = false;
  private shuttingDown = false;

  /** Adds an indicator; it joins the groups it names (default readiness). */
  add(indicator: HealthIndicator): this {
    this.indicators.push(indicator);
    return this;
  }

  /** Marks startup complete: `/health/started` turns 200 and liveness starts being evaluated. */
  markStarted(): void {
    this.started = true;
  }

  /** Marks the instance as draining: readiness answers DOWN from now on. */
  markShuttingDown(): void {
    this.shuttingDown = true;
  }

  /** True once {@link markStarted} ran. */
  get isStarted(): boolean {
    return this.started;
  }

  /** Startup probe: 503 until started. */
  startup(): ProbeResult {
    const health: Health = this.started
      ? { status: 'UP' }
      : { status: 'DOWN', details: { startup: 'pending' } };
    return { httpStatus: httpStatusOf(health.status), health };
  }

  /** Liveness probe: only `liveness` indicators; not evaluated before startup succeeds. */
  async liveness(): Promise<ProbeResult> {
    if (!this.started) {
      const health: Health = { status: 'UNKNOWN', details: { startup: 'pending' } };
      return { httpStatus: 200, health };
    }
    const health = await checkAll(this.select('liveness'));
    return { httpStatus: httpStatusOf(health.status), health };
  }

  /** Readiness probe: DOWN before startup and while shutting down; otherwise every readiness indicator. */
  async readiness(): Promise<ProbeResult> {
    if (!this.started || this.shuttingDown) {
      const reason = this.shuttingDown ? 'shutting down' : 'starting';
      return { httpStatus: 503, health: { status: 'DOWN', details: { reason } } };
    }
    const health = await checkAll(this.select('readiness'));
    return { httpStatus: httpStatusOf(health.status), health };
  }

  private select(group: 'liveness' | 'readiness'): HealthIndicator[] {
    return this.indicators.filter((i) => (i.groups ?? ['readiness']).includes(group));
  }
}
