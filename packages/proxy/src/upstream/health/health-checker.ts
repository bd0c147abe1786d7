/**
 * Active health checking for one cluster, Envoy's state machine per host and check:
 * - a host fails after `unhealthy_threshold` consecutive unanswered probes, or at once when it
 *   answers "unhealthy" (unexpected HTTP status, gRPC NOT_SERVING);
 * - a failed host recovers after `healthy_threshold` consecutive passes, except that its very
 *   first probe result counts alone (Envoy's fast start);
 * - with checks configured, a host new to the cluster starts failed until its first pass; a host
 *   that stays across a config push keeps its state.
 * A host is `failedActiveHealthCheck` while any of the cluster's checks holds it failed.
 */
import type { UpstreamTlsConfig } from '../../tls/upstream-tls-context.js';
import type { Clock, RandomSource, TimerHandle } from '../clock.js';
import type { UpstreamHost } from '../host.js';
import type { HealthCheckSettings } from './health-check-config.js';
import type { HealthProbe, ProbeResult } from './health-probe.js';
import { HttpHealthProbe } from './http-health-check.js';
import { LazyGrpcHealthProbe } from './lazy-grpc-health-check.js';
import { TcpHealthProbe } from './tcp-health-check.js';

/** Told about every probe result and every change of a host's active-check health. */
export interface HealthCheckListener {
  onCheckResult(host: UpstreamHost, healthy: boolean): void;
  onHealthChanged(host: UpstreamHost, healthy: boolean): void;
}

/** Counters in the shape of Envoy's `health_check.*` stats. */
export interface HealthCheckStats {
  attempts: number;
  successes: number;
  failures: number;
  networkFailures: number;
}

interface Session {
  readonly host: UpstreamHost;
  readonly check: number;
  failed: boolean;
  firstCheck: boolean;
  numHealthy: number;
  numUnhealthy: number;
  /** Last result, and whether it moved toward a transition that has not happened yet. */
  lastPassed: boolean;
  changePending: boolean;
  timer: TimerHandle | undefined;
  closed: boolean;
}

/** Runs every configured check against every host of one cluster. */
export class HealthChecker {
  readonly stats: HealthCheckStats = { attempts: 0, successes: 0, failures: 0, networkFailures: 0 };
  private readonly settings: readonly HealthCheckSettings[];
  private readonly probes: HealthProbe[];
  private readonly sessions = new Map<UpstreamHost, Session[]>();
  /** Sessions still waiting for their first result, and who waits for them (cluster warming). */
  private pendingFirst = 0;
  private firstWaiters: Array<() => void> = [];

  constructor(
    clusterName: string,
    settings: readonly HealthCheckSettings[],
    private readonly clock: Clock,
    private readonly random: RandomSource,
    private readonly listener: HealthCheckListener,
    tls?: UpstreamTlsConfig,
  ) {
    this.settings = settings;
    this.probes = settings.map((s) => createProbe(s, clusterName, tls));
  }

  /**
   * Starts checking hosts that joined and stops for hosts that left. `fresh` hosts (new to the
   * cluster) start failed until their first pass; others keep their current flag.
   */
  setHosts(hosts: readonly UpstreamHost[], fresh: ReadonlySet<UpstreamHost>): void {
    const keep = new Set(hosts);
    for (const [host, sessions] of this.sessions) {
      if (keep.has(host)) continue;
      for (const s of sessions) this.stopSession(s);
      for (const p of this.probes) p.forget(host);
      this.sessions.delete(host);
    }
    for (const host of hosts) {
      if (this.sessions.has(host)) continue;
      if (fresh.has(host)) host.failedActiveHealthCheck = true;
      const sessions = this.settings.map((_, check) => this.startSession(host, check));
      this.sessions.set(host, sessions);
    }
  }

  /** Settles once every session started so far has its first result (Envoy's cluster warming). */
  whenFirstChecked(): Promise<void> {
    if (this.pendingFirst === 0) return Promise.resolve();
    return new Promise((resolve) => this.firstWaiters.push(resolve));
  }

  /** Stops every timer and closes every probe connection. */
  close(): void {
    for (const sessions of this.sessions.values()) for (const s of sessions) this.stopSession(s);
    this.sessions.clear();
    for (const p of this.probes) p.close();
  }

  private startSession(host: UpstreamHost, check: number): Session {
    const session: Session = {
      host,
      check,
      failed: host.failedActiveHealthCheck,
      firstCheck: true,
      numHealthy: 0,
      numUnhealthy: 0,
      lastPassed: true,
      changePending: false,
      timer: undefined,
      closed: false,
    };
    this.pendingFirst++;
    const initialMs = this.settings[check].initialJitterMs * this.random();
    session.timer = this.clock.setTimeout(() => this.run(session), initialMs);
    return session;
  }

  private stopSession(session: Session): void {
    if (session.firstCheck && !session.closed) this.firstDone();
    session.closed = true;
    if (session.timer !== undefined) this.clock.clearTimeout(session.timer);
    session.timer = undefined;
  }

  private run(session: Session): void {
    session.timer = undefined;
    if (session.closed) return;
    const settings = this.settings[session.check];
    this.stats.attempts++;
    // A probe that throws (e.g. a header Node refuses) counts as an unanswered check, never as an
    // unhandled rejection.
    void this.probes[session.check]
      .probe(session.host, settings.timeoutMs)
      .catch((): ProbeResult => 'unhealthy')
      .then((result) => this.complete(session, result));
  }

  private complete(session: Session, result: ProbeResult): void {
    if (session.closed) return;
    this.record(session, result);
    session.timer = this.clock.setTimeout(() => this.run(session), this.nextDelayMs(session));
  }

  private nextDelayMs(session: Session): number {
    const s = this.settings[session.check];
    // Envoy's choice: by the last result, and the "edge" interval while a transition is pending.
    const base = session.lastPassed
      ? session.changePending
        ? s.healthyEdgeIntervalMs
        : s.intervalMs
      : session.changePending
        ? s.unhealthyEdgeIntervalMs
        : s.unhealthyIntervalMs;
    return base + s.intervalJitterMs * this.random() + (base * s.intervalJitterPercent * this.random()) / 100;
  }

  private record(session: Session, result: ProbeResult): void {
    const s = this.settings[session.check];
    const first = session.firstCheck;
    session.firstCheck = false;
    if (first) this.firstDone();
    if (result === 'healthy') {
      this.stats.successes++;
      session.numUnhealthy = 0;
      if (session.failed && (first || ++session.numHealthy >= s.healthyThreshold)) {
        session.failed = false;
        session.numHealthy = 0;
        this.refresh(session.host);
      }
      session.lastPassed = true;
      session.changePending = session.failed;
      this.listener.onCheckResult(session.host, true);
      return;
    }
    this.stats.failures++;
    if (result === 'unhealthy') this.stats.networkFailures++;
    session.numHealthy = 0;
    if (!session.failed && (result === 'unhealthy-now' || ++session.numUnhealthy >= s.unhealthyThreshold)) {
      session.failed = true;
      session.numUnhealthy = 0;
      this.refresh(session.host);
      session.changePending = false;
    } else {
      session.changePending = !session.failed;
    }
    session.lastPassed = false;
    this.listener.onCheckResult(session.host, false);
  }

  private firstDone(): void {
    if (--this.pendingFirst > 0) return;
    const waiters = this.firstWaiters;
    this.firstWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /** Recomputes the host flag from all its sessions and reports a change. */
  private refresh(host: UpstreamHost): void {
    const sessions = this.sessions.get(host);
    const failed = sessions?.some((s) => s.failed) === true;
    if (failed === host.failedActiveHealthCheck) return;
    host.failedActiveHealthCheck = failed;
    this.listener.onHealthChanged(host, !failed);
  }
}

function createProbe(
  settings: HealthCheckSettings,
  clusterName: string,
  tls: UpstreamTlsConfig | undefined,
): HealthProbe {
  switch (settings.check.kind) {
    case 'http':
      return new HttpHealthProbe(settings.check, clusterName, tls);
    case 'tcp':
      return new TcpHealthProbe(settings.check, tls);
    case 'grpc':
      return new LazyGrpcHealthProbe(settings.check, clusterName, tls);
  }
}
