/**
 * `envoy.filters.http.fault`: delays and/or aborts a fraction of requests (seed 003's "10% get
 * 5 s of delay, 1% get a 503"). Header-controlled faults read Envoy's headers
 * `x-envoy-fault-delay-request`, `x-envoy-fault-abort-request`, `x-envoy-fault-abort-grpc-request`
 * and their `-percentage` companions. A route may override the filter config through
 * `typed_per_filter_config`.
 */
import { matchHeader } from '../../router/header-matcher.js';
import type { FilterStatus, FilterStream, HttpFilter, HttpFilterFactory } from '../filter.js';
import { FILTER_DISABLED } from '../registry.js';
import { compileFaultConfig, type FaultConfig } from './config.js';

/** The Envoy name of this filter. */
export const FAULT_FILTER_NAME = 'envoy.filters.http.fault';
const TYPE_URL = 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault';

/** The fault filter; `random` is injectable so tests decide who gets the fault. */
export class FaultFilter implements HttpFilter {
  readonly name = FAULT_FILTER_NAME;
  private active = 0;

  constructor(
    private readonly config: FaultConfig,
    private readonly random: () => number = Math.random,
  ) {}

  decodeHeaders(stream: FilterStream): FilterStatus {
    const cfg = this.configFor(stream);
    if (cfg === null) return 'continue';
    if (cfg.headers.length > 0) {
      for (const h of cfg.headers) if (!matchHeader(h, streamAsRequest(stream))) return 'continue';
    }
    if (cfg.maxActiveFaults > 0 && this.active >= cfg.maxActiveFaults) return 'continue';
    const delayMs = cfg.hasDelay ? this.pickDelay(cfg, stream) : 0;
    if (delayMs > 0) {
      this.active++;
      stream.addResponseFlag('DI');
      stream.setTimer(delayMs, () => {
        this.active--;
        if (!this.maybeAbort(cfg, stream)) stream.continueDecoding();
      });
      return 'stop';
    }
    return this.maybeAbort(cfg, stream) ? 'stop' : 'continue';
  }

  /** null when a `FilterConfig` with `disabled: true` turns the filter off here. */
  private configFor(stream: FilterStream): FaultConfig | null {
    // The most specific typed_per_filter_config (route, then virtual host, then route
    // configuration) replaces the filter's config, as in Envoy.
    for (const level of stream.route?.perFilterConfigs ?? []) {
      const found = level.get(FAULT_FILTER_NAME) as FaultConfig | typeof FILTER_DISABLED | undefined;
      if (found === FILTER_DISABLED) return null;
      if (found) return found;
    }
    return this.config;
  }

  private pickDelay(cfg: FaultConfig, stream: FilterStream): number {
    let ms = cfg.delayMs;
    let fraction = cfg.delayFraction;
    if (cfg.delayFromHeader) {
      ms = headerNumber(stream, 'x-envoy-fault-delay-request');
      if (ms <= 0) return 0;
      fraction = headerFraction(stream, 'x-envoy-fault-delay-request-percentage', fraction);
    }
    return this.random() < fraction ? ms : 0;
  }

  private maybeAbort(cfg: FaultConfig, stream: FilterStream): boolean {
    if (!cfg.hasAbort || stream.ended) return false;
    let status = cfg.abortStatus;
    let grpc = cfg.abortGrpcStatus;
    let fraction = cfg.abortFraction;
    if (cfg.abortFromHeader) {
      status = headerNumber(stream, 'x-envoy-fault-abort-request');
      grpc = headerNumber(stream, 'x-envoy-fault-abort-grpc-request');
      if ((status < 200 || status > 599) && grpc < 0) return false;
      fraction = headerFraction(stream, 'x-envoy-fault-abort-request-percentage', fraction);
    }
    if (this.random() >= fraction) return false;
    if (grpc >= 0 && !(status >= 200 && status <= 599)) {
      stream.sendLocalReply(200, 'fault filter abort', 'FI', grpc);
    } else {
      stream.sendLocalReply(status, 'fault filter abort', 'FI');
    }
    return true;
  }
}

function headerNumber(stream: FilterStream, name: string): number {
  const h = stream.requestHeaders;
  for (let i = 0; i < h.length; i += 2) {
    if (h[i] === name) {
      const n = Number(h[i + 1]);
      return Number.isFinite(n) ? n : -1;
    }
  }
  return -1;
}

function headerFraction(stream: FilterStream, name: string, dflt: number): number {
  const n = headerNumber(stream, name);
  // Envoy: the header value is a numerator over the configured denominator (percent here).
  return n >= 0 ? Math.min(n / 100, dflt) : dflt;
}

function streamAsRequest(s: FilterStream) {
  return {
    method: s.method,
    path: s.path,
    query: s.query,
    authority: s.authority,
    scheme: 'http',
    headers: s.requestHeaders,
    remoteAddress: s.remoteAddress,
  };
}

/** Factory registered as `envoy.filters.http.fault`. */
export const faultFilterFactory: HttpFilterFactory = {
  name: FAULT_FILTER_NAME,
  typeUrls: [TYPE_URL],
  create: (config, path) => new FaultFilter(compileFaultConfig(config, path)),
  createPerRoute: (config, path) => compileFaultConfig(config, path),
};
