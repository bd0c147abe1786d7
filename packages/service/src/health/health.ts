/**
 * Health indicators and their aggregation, after Spring Boot Actuator: each indicator answers
 * UP / DOWN / DEGRADED / UNKNOWN with details; a composite runs them concurrently, each under its
 * own timeout, and aggregates by severity (any DOWN → DOWN; else any DEGRADED → DEGRADED; …).
 */
import { HealthTimeoutError } from '../errors.js';

/** Health status of one indicator or an aggregate. */
export type HealthStatus = 'UP' | 'DOWN' | 'DEGRADED' | 'UNKNOWN';

/** What an indicator reports. */
export interface Health {
  status: HealthStatus;
  details?: Record<string, unknown>;
  components?: Record<string, Health>;
}

/** Which probe groups an indicator belongs to. Liveness never includes downstream dependencies. */
export type ProbeGroup = 'liveness' | 'readiness';

/** A named check; `check` may be sync or async and receives an AbortSignal fired on timeout. */
export interface HealthIndicator {
  /** Component name in the aggregated report (e.g. `db`, `inventory`). */
  readonly name: string;
  /** Groups this indicator is part of; default `['readiness']`. */
  readonly groups?: readonly ProbeGroup[];
  /** Per-indicator timeout; default 1000 ms. A timeout reports DOWN. */
  readonly timeoutMs?: number;
  /**
   * When false, a DOWN from this indicator is reported as DEGRADED: the service keeps serving
   * without it (graceful degradation). Default true.
   */
  readonly critical?: boolean;
  check(signal: AbortSignal): Promise<Health> | Health;
}

const severity: Record<HealthStatus, number> = { DOWN: 3, DEGRADED: 2, UP: 1, UNKNOWN: 0 };

/** Aggregates statuses by severity: DOWN > DEGRADED > UP > UNKNOWN (an empty set is UP). */
export function aggregateStatus(statuses: Iterable<HealthStatus>): HealthStatus {
  let worst: HealthStatus | undefined;
  for (const s of statuses) if (worst === undefined || severity[s] > severity[worst]) worst = s;
  return worst ?? 'UP';
}

/** HTTP status for a probe answer: DOWN → 503, anything else → 200. */
export function httpStatusOf(status: HealthStatus): number {
  return status === 'DOWN' ? 503 : 200;
}

async function runOne(indicator: HealthIndicator): Promise<Health> {
  const timeoutMs = indicator.timeoutMs ?? 1000;
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Health>((resolve) => {
    timer = setTimeout(() => {
      controller.abort(new HealthTimeoutError(indicator.name, timeoutMs));
      resolve({ status: 'DOWN', details: { error: `timed out after ${timeoutMs} ms` } });
    }, timeoutMs);
  });
  try {
    const result = await Promise.race([
      Promise.resolve().then(() => indicator.check(controller.signal)),
      timeout,
    ]);
    return result;
  } catch (err) {
    return { status: 'DOWN', details: { error: err instanceof Error ? err.message : String(err) } };
  } finally {
    clearTimeout(timer);
  }
}

function soften(indicator: HealthIndicator, health: Health): Health {
  if (indicator.critical === false && health.status === 'DOWN') {
    return { ...health, status: 'DEGRADED', details: { ...health.details, critical: false } };
  }
  return health;
}

/**
 * Runs indicators concurrently, each with its own timeout, and aggregates them.
 *
 * @example
 * const health = await checkAll([db, inventory]);
 * // { status: 'DEGRADED', components: { db: { status: 'UP' }, inventory: { status: 'DEGRADED', … } } }
 */
export async function checkAll(indicators: readonly HealthIndicator[]): Promise<Health> {
  const results = await Promise.all(indicators.map(async (i) => soften(i, await runOne(i))));
  const components: Record<string, Health> = {};
  indicators.forEach((indicator, index) => {
    components[indicator.name] = results[index];
  });
  return { status: aggregateStatus(results.map((r) => r.status)), components };
}

/** Builds an indicator from a function that throws (or rejects) when unhealthy. */
export function pingIndicator(
  name: string,
  ping: (signal: AbortSignal) => unknown,
  options: { groups?: ProbeGroup[]; timeoutMs?: number; critical?: boolean } = {},
): HealthIndicator {
  return {
    name,
    groups: options.groups ?? ['readiness'],
    timeoutMs: options.timeoutMs,
    critical: options.critical,
    async check(signal) {
      const startedAt = performance.now();
      await ping(signal);
      return { status: 'UP', details: { latencyMs: Math.round(performance.now() - startedAt) } };
    },
  };
}

/** A database indicator: runs `ping` (e.g. `SELECT 1`); readiness only. */
export function databaseIndicator(
  ping: () => unknown,
  options: { name?: string; timeoutMs?: number } = {},
): HealthIndicator {
  return pingIndicator(options.name ?? 'db', ping, { timeoutMs: options.timeoutMs ?? 1000 });
}

/** A broker indicator: runs `ping` against the message broker; readiness only. */
export function brokerIndicator(
  ping: () => unknown,
  options: { name?: string; timeoutMs?: number; critical?: boolean } = {},
): HealthIndicator {
  return pingIndicator(options.name ?? 'broker', ping, options);
}

/**
 * A downstream dependency indicator: GETs `url` (usually the dependency's `/health/ready`) and
 * reports UP on 2xx. Readiness only — liveness must never depend on another service.
 */
export function dependencyIndicator(
  name: string,
  url: string,
  options: { timeoutMs?: number; critical?: boolean } = {},
): HealthIndicator {
  return pingIndicator(
    name,
    async (signal) => {
      const res = await fetch(url, { signal });
      await res.arrayBuffer();
      if (!res.ok) throw new Error(`${url} answered ${res.status}`);
    },
    options,
  );
}
