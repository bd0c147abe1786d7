/**
 * Envoy's outlier detection for one cluster (passive health checking):
 * - consecutive 5xx / gateway failures (502, 503, 504, and in the default non-split mode also
 *   connect failures, resets and timeouts) eject a host the moment the count reaches its threshold;
 * - every `interval` a tick un-ejects hosts whose time is up, decays the back-off of hosts that
 *   stayed healthy, and runs success-rate and failure-percentage ejection over the last interval;
 * - an ejection lasts `base_ejection_time × back-off` (back-off grows by one per ejection, shrinks by
 *   one per healthy interval), capped by `max_ejection_time`, plus jitter;
 * - `max_ejection_percent` of the cluster's hosts is never exceeded (`always_eject_one_host` lets the
 *   first ejection through regardless, as Envoy does).
 */
import type { Clock, RandomSource, TimerHandle } from './clock.js';
import type { UpstreamHost } from './host.js';
import type { OutlierDetectionSettings } from './outlier-detection-config.js';
import type { UpstreamOutcome } from './types.js';

/** Why a host was ejected (Envoy's `OutlierEjectionType` in snake case). */
export type EjectionType =
  | 'consecutive_5xx'
  | 'consecutive_gateway_failure'
  | 'consecutive_local_origin_failure'
  | 'success_rate'
  | 'failure_percentage'
  | 'success_rate_local_origin'
  | 'failure_percentage_local_origin';

/** Counters in the shape of Envoy's `outlier_detection.*` stats. */
export interface OutlierStats {
  ejectionsActive: number;
  ejectionsTotal: number;
  ejectionsOverflow: number;
  /** Detections per type (counted even when enforcement or the percent cap stopped the ejection). */
  detected: Record<EjectionType, number>;
  /** Ejections that happened, per type. */
  enforced: Record<EjectionType, number>;
}

/** Told when a host is ejected or un-ejected, so the cluster can rebuild its balancer. */
export interface OutlierListener {
  onEject(host: UpstreamHost, type: EjectionType, durationMs: number): void;
  onUneject(host: UpstreamHost): void;
}

const zeroByType = (): Record<EjectionType, number> => ({
  consecutive_5xx: 0,
  consecutive_gateway_failure: 0,
  consecutive_local_origin_failure: 0,
  success_rate: 0,
  failure_percentage: 0,
  success_rate_local_origin: 0,
  failure_percentage_local_origin: 0,
});

/** Outlier detection over the hosts of one cluster, driven by an injectable clock. */
export class OutlierDetector {
  settings: OutlierDetectionSettings;
  readonly stats: OutlierStats = {
    ejectionsActive: 0,
    ejectionsTotal: 0,
    ejectionsOverflow: 0,
    detected: zeroByType(),
    enforced: zeroByType(),
  };
  private hosts: readonly UpstreamHost[] = [];
  private timer: TimerHandle | undefined;
  private readonly clock: Clock;
  private readonly random: RandomSource;
  private readonly listener: OutlierListener;

  constructor(
    settings: OutlierDetectionSettings,
    clock: Clock,
    random: RandomSource,
    listener: OutlierListener,
  ) {
    this.settings = settings;
    this.clock = clock;
    this.random = random;
    this.listener = listener;
    this.arm();
  }

  /** Takes the cluster's current hosts (state lives on each host, so survivors keep theirs). */
  setHosts(hosts: readonly UpstreamHost[]): void {
    this.hosts = hosts;
    let active = 0;
    for (const h of hosts) if (h.ejected) active++;
    this.stats.ejectionsActive = active;
  }

  /**
   * Applies new settings. The interval timer restarts only when the period changed: restarting it on
   * every config push would starve the tick (and un-ejection) under frequent pushes.
   */
  update(settings: OutlierDetectionSettings): void {
    const intervalChanged = settings.intervalMs !== this.settings.intervalMs;
    this.settings = settings;
    if (!intervalChanged) return;
    this.stop();
    this.arm();
  }

  /** Stops the interval timer. */
  stop(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Records one attempt's outcome. Hot path: field updates and compares only. */
  report(host: UpstreamHost, outcome: UpstreamOutcome): void {
    const s = this.settings;
    const o = host.outlier;
    if (outcome.kind === 'response') {
      o.windowRequests++;
      // Split mode: a response means the connection worked (a local-origin success).
      if (s.splitExternalLocalOriginErrors) o.localWindowRequests++;
      const status = outcome.status;
      if (status < 500) {
        o.consecutive5xx = 0;
        o.consecutiveGatewayFailure = 0;
        o.consecutiveLocalOriginFailure = 0;
        return;
      }
      this.onError(host, status === 502 || status === 503 || status === 504);
    } else if (s.splitExternalLocalOriginErrors) {
      // Split mode: local-origin errors stay out of the external success-rate window.
      o.localWindowRequests++;
      o.localWindowFailures++;
      if (++o.consecutiveLocalOriginFailure === s.consecutiveLocalOriginFailure) {
        o.consecutiveLocalOriginFailure = 0;
        this.detect(host, 'consecutive_local_origin_failure', s.enforcingConsecutiveLocalOriginFailure);
      }
    } else {
      // Non-split mode: Envoy maps a connect failure to 503, a timeout to 504, a reset to 502.
      o.windowRequests++;
      this.onError(host, true);
    }
  }

  /** An active health check passed: Envoy un-ejects the host unless told not to. */
  onActiveHealthCheckSuccess(host: UpstreamHost): void {
    if (host.ejected && this.settings.successfulActiveHealthCheckUnejectHost) this.uneject(host);
  }

  /** Runs one interval's work now (the timer calls this; exported for tests and the admin page). */
  tick(): void {
    const now = this.clock.now();
    const s = this.settings;
    for (const host of this.hosts) this.checkForUneject(host, now);
    this.successRateEjections(EXTERNAL, 'success_rate', s.enforcingSuccessRate);
    this.failurePercentageEjections(EXTERNAL, 'failure_percentage', s.enforcingFailurePercentage);
    if (s.splitExternalLocalOriginErrors) {
      this.successRateEjections(LOCAL, 'success_rate_local_origin', s.enforcingLocalOriginSuccessRate);
      this.failurePercentageEjections(
        LOCAL,
        'failure_percentage_local_origin',
        s.enforcingFailurePercentageLocalOrigin,
      );
    }
    for (const host of this.hosts) {
      const o = host.outlier;
      o.windowRequests = 0;
      o.windowFailures = 0;
      o.localWindowRequests = 0;
      o.localWindowFailures = 0;
    }
  }

  private onError(host: UpstreamHost, gatewayFailure: boolean): void {
    const s = this.settings;
    const o = host.outlier;
    o.windowFailures++;
    if (gatewayFailure) {
      if (++o.consecutiveGatewayFailure === s.consecutiveGatewayFailure) {
        o.consecutiveGatewayFailure = 0;
        this.detect(host, 'consecutive_gateway_failure', s.enforcingConsecutiveGatewayFailure);
      }
    } else {
      o.consecutiveGatewayFailure = 0;
    }
    if (++o.consecutive5xx === s.consecutive5xx) {
      o.consecutive5xx = 0;
      this.detect(host, 'consecutive_5xx', s.enforcingConsecutive5xx);
    }
  }

  private arm(): void {
    this.timer = this.clock.setTimeout(() => {
      this.tick();
      if (this.timer !== undefined) this.arm();
    }, this.settings.intervalMs);
  }

  /** A detection: counted always, enforced by a percent roll, capped by max_ejection_percent. */
  private detect(host: UpstreamHost, type: EjectionType, enforcingPercent: number): void {
    if (host.ejected) return;
    this.stats.detected[type]++;
    const total = this.hosts.length;
    const active = this.stats.ejectionsActive;
    const percentAfter = total === 0 ? 100 : (100 * (active + 1)) / total;
    const allowed =
      percentAfter <= this.settings.maxEjectionPercent || (this.settings.alwaysEjectOneHost && active === 0);
    if (!allowed) {
      this.stats.ejectionsOverflow++;
      return;
    }
    if (enforcingPercent < 100 && this.random() * 100 >= enforcingPercent) return;
    this.eject(host, type);
  }

  private eject(host: UpstreamHost, type: EjectionType): void {
    const s = this.settings;
    const o = host.outlier;
    host.ejected = true;
    o.numEjections++;
    o.lastEjectionMs = this.clock.now();
    if (o.ejectTimeBackoff * s.baseEjectionTimeMs < s.maxEjectionTimeMs + s.baseEjectionTimeMs)
      o.ejectTimeBackoff++;
    o.ejectionJitterMs =
      s.maxEjectionTimeJitterMs > 0 ? Math.floor(this.random() * s.maxEjectionTimeJitterMs) : 0;
    this.stats.ejectionsActive++;
    this.stats.ejectionsTotal++;
    this.stats.enforced[type]++;
    this.listener.onEject(host, type, this.ejectionTimeMs(host));
  }

  /** How long the host's current ejection lasts. */
  ejectionTimeMs(host: UpstreamHost): number {
    const s = this.settings;
    const o = host.outlier;
    return Math.min(s.baseEjectionTimeMs * o.ejectTimeBackoff, s.maxEjectionTimeMs) + o.ejectionJitterMs;
  }

  private checkForUneject(host: UpstreamHost, now: number): void {
    const o = host.outlier;
    if (!host.ejected) {
      // Healthy for a whole interval since the last un-ejection: the back-off decays by one.
      if (
        o.lastUnejectionMs >= 0 &&
        now - o.lastUnejectionMs >= this.settings.intervalMs &&
        o.ejectTimeBackoff > 0
      ) {
        o.ejectTimeBackoff--;
      }
      return;
    }
    if (now - o.lastEjectionMs >= this.ejectionTimeMs(host)) this.uneject(host);
  }

  private uneject(host: UpstreamHost): void {
    const o = host.outlier;
    host.ejected = false;
    // Counters restart so a host near a threshold is not re-ejected on its first new error.
    o.consecutive5xx = 0;
    o.consecutiveGatewayFailure = 0;
    o.consecutiveLocalOriginFailure = 0;
    o.lastUnejectionMs = this.clock.now();
    if (this.stats.ejectionsActive > 0) this.stats.ejectionsActive--;
    this.listener.onUneject(host);
  }

  /** Ejects hosts whose success rate is below mean − stdev_factor/1000 × stdev. */
  private successRateEjections(window: Window, type: EjectionType, enforcingPercent: number): void {
    const s = this.settings;
    const eligible = this.hosts.filter((h) => !h.ejected && window.requests(h) >= s.successRateRequestVolume);
    if (eligible.length === 0 || eligible.length < s.successRateMinimumHosts) return;
    const rates = eligible.map((h) => successRate(window, h));
    const mean = rates.reduce((a, b) => a + b, 0) / rates.length;
    const variance = rates.reduce((a, r) => a + (r - mean) ** 2, 0) / rates.length;
    const threshold = mean - (s.successRateStdevFactor / 1000) * Math.sqrt(variance);
    for (let i = 0; i < eligible.length; i++) {
      if (rates[i] < threshold) this.detect(eligible[i], type, enforcingPercent);
    }
  }

  /** Ejects hosts whose failure percentage reaches failure_percentage_threshold. */
  private failurePercentageEjections(window: Window, type: EjectionType, enforcingPercent: number): void {
    const s = this.settings;
    const eligible = this.hosts.filter(
      (h) => !h.ejected && window.requests(h) >= s.failurePercentageRequestVolume,
    );
    if (eligible.length === 0 || eligible.length < s.failurePercentageMinimumHosts) return;
    for (const host of eligible) {
      if (100 - successRate(window, host) >= s.failurePercentageThreshold) {
        this.detect(host, type, enforcingPercent);
      }
    }
  }
}

/** One interval's counts as a detector reads them: all outcomes, or (split mode) local origin only. */
interface Window {
  requests(host: UpstreamHost): number;
  failures(host: UpstreamHost): number;
}

const EXTERNAL: Window = {
  requests: (h) => h.outlier.windowRequests,
  failures: (h) => h.outlier.windowFailures,
};

const LOCAL: Window = {
  requests: (h) => h.outlier.localWindowRequests,
  failures: (h) => h.outlier.localWindowFailures,
};

function successRate(window: Window, host: UpstreamHost): number {
  const requests = window.requests(host);
  return (100 * (requests - window.failures(host))) / requests;
}
