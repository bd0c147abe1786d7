/**
 * What the registry holds about a workload instance: what it registered with (service, address,
 * ports, labels, identity, health check) and its liveness state (TTL, readiness, active check
 * verdict, passive outlier reports).
 */
import type { PortProtocol } from '../translate/model.js';

/** Kinds of active health check the control plane runs. */
export type HealthCheckType = 'http' | 'tcp' | 'grpc';

/** An active health check, with defaults applied. */
export interface HealthCheckSpec {
  type: HealthCheckType;
  /** HTTP path (`http` only); 2xx passes. */
  path: string;
  /** Port to probe; the instance's app port when absent. */
  port?: number;
  intervalMs: number;
  timeoutMs: number;
  /** Consecutive passes that make a failing instance healthy again. */
  healthyThreshold: number;
  /** Consecutive failures that take an instance out of rotation. */
  unhealthyThreshold: number;
}

/** Defaults of an active health check (Consul/Envoy-like). */
export const HEALTH_CHECK_DEFAULTS: Omit<HealthCheckSpec, 'type'> = {
  path: '/healthz',
  intervalMs: 5000,
  timeoutMs: 1000,
  healthyThreshold: 1,
  unhealthyThreshold: 2,
};

/** The body of `POST /v1/registry/instances`. */
export interface RegistrationRequest {
  service: string;
  namespace?: string;
  instanceId?: string;
  address: string;
  port: number;
  sidecarPort?: number;
  /** What the instance's port speaks (default http); `tcp` ports are proxied as raw bytes. */
  protocol?: 'http' | 'grpc' | 'tcp';
  version?: string;
  labels?: Record<string, string>;
  serviceAccount?: string;
  healthCheck?: Partial<HealthCheckSpec> & { type: HealthCheckType };
  ttlMs?: number;
  locality?: string;
}

/** Verdict of the active health check so far. */
export type CheckStatus = 'unknown' | 'passing' | 'failing';

/** A registered instance and its liveness state. */
export interface InstanceRecord {
  instanceId: string;
  service: string;
  namespace: string;
  address: string;
  port: number;
  sidecarPort?: number;
  protocol: PortProtocol;
  version?: string;
  /** Registered labels plus `version` when given (what DestinationRule subsets select on). */
  labels: Record<string, string>;
  serviceAccount: string;
  spiffeId: string;
  locality?: string;
  healthCheck?: HealthCheckSpec;
  ttlMs: number;
  registeredAtMs: number;
  lastHeartbeatMs: number;
  /** Readiness reported by the instance (`PUT …/status`); gates traffic. */
  ready: boolean;
  /** Set when the TTL ran out; cleared by the next heartbeat. */
  expired: boolean;
  checkStatus: CheckStatus;
  consecutivePasses: number;
  consecutiveFailures: number;
  lastCheckError?: string;
  /** Until when proxies' outlier reports demote this instance to DEGRADED. */
  outlierUntilMs: number;
  outlierReports: number;
}

/** True when an instance may receive traffic: alive, ready and not failing its checks. */
export function isServing(r: InstanceRecord): boolean {
  return !r.expired && r.ready && r.checkStatus !== 'failing';
}

/** SPIFFE identity of a workload: `spiffe://cluster.local/ns/<ns>/sa/<service account>`. */
export function spiffeIdOf(trustDomain: string, namespace: string, serviceAccount: string): string {
  return `spiffe://${trustDomain}/ns/${namespace}/sa/${serviceAccount}`;
}
