/** The contract of one active health-check kind (HTTP, TCP, gRPC) and the registry by kind. */
import type { UpstreamHost } from '../host.js';

/**
 * How one probe ended. `unhealthy` (no answer: connect failure, timeout, reset) and
 * `unhealthy-retriable` (an HTTP status in `retriable_statuses`) count toward
 * `unhealthy_threshold`; `unhealthy-now` (the host answered "I am unhealthy": an unexpected HTTP
 * status, gRPC NOT_SERVING) marks the host unhealthy at once, as Envoy does.
 */
export type ProbeResult = 'healthy' | 'unhealthy' | 'unhealthy-retriable' | 'unhealthy-now';

/** Probes hosts of one cluster with one check's settings. */
export interface HealthProbe {
  /** Probes `host` once; never rejects. */
  probe(host: UpstreamHost, timeoutMs: number): Promise<ProbeResult>;
  /** Forgets per-host state (e.g. a gRPC channel) of a host that left the cluster. */
  forget(host: UpstreamHost): void;
  /** Releases every connection the probe holds. */
  close(): void;
}
