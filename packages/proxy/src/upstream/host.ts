/**
 * The upstream layer's own {@link Host}: the contract's read-only view plus the mutable state the
 * cluster, health checker and outlier detector keep on it. State lives on the host object itself
 * so the per-request path touches fields, never maps.
 */
import type { EdsHealthStatus, Host, HostCounters } from './types.js';

/** Where a host came from and how it is described by config (EDS, inline or DNS). */
export interface HostSpec {
  /**
   * Identity when it is not `address:port`: a LOGICAL_DNS host is `name:port`, so a new DNS answer
   * moves its address without replacing the host (and its pool), as Envoy's logical host does.
   */
  readonly key?: string;
  readonly address: string;
  readonly port: number;
  readonly weight: number;
  readonly labels: Readonly<Record<string, string>>;
  readonly locality?: { region?: string; zone?: string; sub_zone?: string };
  /** The locality's `load_balancing_weight` (0 when unset: no traffic under locality weighting). */
  readonly localityWeight?: number;
  readonly edsHealth: EdsHealthStatus;
  /** EDS priority (0 is preferred). */
  readonly priority: number;
  /** Port the active health checker probes instead of `port` (EDS `health_check_config.port_value`). */
  readonly healthCheckPort?: number;
  /** The endpoint's name (EDS `endpoint.hostname`, or the DNS name of a DNS cluster's host). */
  readonly hostname?: string;
  /** Name health checks present (EDS `health_check_config.hostname`; default `hostname`). */
  readonly healthCheckHostname?: string;
}

/** Outlier-detection bookkeeping kept per host (see outlier-detector.ts for the semantics). */
export class OutlierState {
  consecutive5xx = 0;
  consecutiveGatewayFailure = 0;
  consecutiveLocalOriginFailure = 0;
  /** Requests and failures seen since the last interval tick (success-rate / failure-percentage). */
  windowRequests = 0;
  windowFailures = 0;
  /** Split mode only: attempts and local-origin failures (connect, reset, timeout) this interval. */
  localWindowRequests = 0;
  localWindowFailures = 0;
  /** Total times ejected (stat) and the back-off multiplier for the next ejection time. */
  numEjections = 0;
  ejectTimeBackoff = 0;
  lastEjectionMs = -1;
  lastUnejectionMs = -1;
  ejectionJitterMs = 0;
}

/** A host of one cluster, mutable by the upstream layer only. */
export class UpstreamHost implements Host {
  readonly key: string;
  /** Mutable only for LOGICAL_DNS hosts, whose address follows DNS (new connections use it). */
  address: string;
  readonly port: number;
  weight: number;
  labels: Readonly<Record<string, string>>;
  locality?: { region?: string; zone?: string; sub_zone?: string };
  localityWeight: number;
  edsHealth: EdsHealthStatus;
  priority: number;
  healthCheckPort: number;
  hostname: string | undefined;
  healthCheckHostname: string | undefined;
  failedActiveHealthCheck = false;
  ejected = false;
  activeRequests = 0;
  pool: unknown = undefined;
  /** Set once the host has left its cluster (its pool drains; late outcomes are ignored). */
  removed = false;
  readonly outlier = new OutlierState();
  readonly counters: HostCounters = { rqTotal: 0, rqSuccess: 0, rqError: 0, rqTimeout: 0, cxConnectFail: 0 };

  constructor(spec: HostSpec) {
    this.address = spec.address;
    this.port = spec.port;
    this.key = specKey(spec);
    this.weight = spec.weight;
    this.labels = spec.labels;
    this.locality = spec.locality;
    this.localityWeight = spec.localityWeight ?? 0;
    this.edsHealth = spec.edsHealth;
    this.priority = spec.priority;
    this.healthCheckPort = spec.healthCheckPort ?? spec.port;
    this.hostname = spec.hostname;
    this.healthCheckHostname = spec.healthCheckHostname ?? spec.hostname;
  }

  /** Takes the config-described attributes of `spec` (same key), keeping all runtime state. */
  update(spec: HostSpec): void {
    this.address = spec.address;
    this.weight = spec.weight;
    this.labels = spec.labels;
    this.locality = spec.locality;
    this.localityWeight = spec.localityWeight ?? 0;
    this.edsHealth = spec.edsHealth;
    this.priority = spec.priority;
    this.healthCheckPort = spec.healthCheckPort ?? spec.port;
    this.hostname = spec.hostname;
    this.healthCheckHostname = spec.healthCheckHostname ?? spec.hostname;
  }

  /** Whether EDS allows traffic to this host (Envoy treats DEGRADED as usable, UNKNOWN as healthy). */
  get edsUsable(): boolean {
    const h = this.edsHealth;
    return h === 'HEALTHY' || h === 'UNKNOWN' || h === 'DEGRADED';
  }

  /** Whether the host may take new requests: EDS-usable, passing active checks, not ejected. */
  get available(): boolean {
    return !this.ejected && !this.failedActiveHealthCheck && this.edsUsable;
  }
}

/** The identity a spec gives its host: its `key`, else `address:port`. */
export function specKey(spec: HostSpec): string {
  return spec.key ?? hostKey(spec.address, spec.port);
}

/** The identity of a host: `address:port` (IPv6 addresses in brackets). */
export function hostKey(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}
