/**
 * Envoy's cluster circuit breakers (`circuit_breakers.thresholds`): plain counters against
 * limits. A refused acquire counts an overflow (Envoy's `upstream_cx_overflow`,
 * `upstream_rq_pending_overflow`, `upstream_rq_retry_overflow`); the engine answers 503 with
 * response flag `UO`.
 */
import type { ClusterLimits, RoutingPriority } from './types.js';

/** One priority's thresholds, Envoy defaults 1024 / 1024 / 1024 / 3. */
export interface LimitThresholds {
  readonly maxConnections: number;
  readonly maxPendingRequests: number;
  readonly maxRequests: number;
  readonly maxRetries: number;
}

/** Envoy's defaults when a threshold is not set. */
export const DEFAULT_LIMIT_THRESHOLDS: LimitThresholds = Object.freeze({
  maxConnections: 1024,
  maxPendingRequests: 1024,
  maxRequests: 1024,
  maxRetries: 3,
});

/** Overflow counts of one limits object, for stats. */
export interface LimitOverflows {
  connections: number;
  pendingRequests: number;
  requests: number;
  retries: number;
}

/**
 * Circuit-breaker counters for one cluster and one routing priority.
 *
 * @example
 * if (!cluster.limits.tryAcquireRequest()) return respond503('UO');
 * try { await forward(); } finally { cluster.limits.releaseRequest(); }
 */
export class CircuitBreakerLimits implements ClusterLimits {
  readonly priority: RoutingPriority;
  maxConnections: number;
  maxPendingRequests: number;
  maxRequests: number;
  maxRetries: number;
  /** Currently held slots. */
  connections = 0;
  pendingRequests = 0;
  requests = 0;
  retries = 0;
  readonly overflows: LimitOverflows = { connections: 0, pendingRequests: 0, requests: 0, retries: 0 };

  constructor(priority: RoutingPriority, thresholds: LimitThresholds = DEFAULT_LIMIT_THRESHOLDS) {
    this.priority = priority;
    this.maxConnections = thresholds.maxConnections;
    this.maxPendingRequests = thresholds.maxPendingRequests;
    this.maxRequests = thresholds.maxRequests;
    this.maxRetries = thresholds.maxRetries;
  }

  /** Applies new thresholds while keeping the held counts, so a config push never resets them. */
  setThresholds(thresholds: LimitThresholds): void {
    this.maxConnections = thresholds.maxConnections;
    this.maxPendingRequests = thresholds.maxPendingRequests;
    this.maxRequests = thresholds.maxRequests;
    this.maxRetries = thresholds.maxRetries;
  }

  tryAcquireRequest(): boolean {
    if (this.requests >= this.maxRequests) {
      this.overflows.requests++;
      return false;
    }
    this.requests++;
    return true;
  }

  releaseRequest(): void {
    if (this.requests > 0) this.requests--;
  }

  tryAcquirePending(): boolean {
    if (this.pendingRequests >= this.maxPendingRequests) {
      this.overflows.pendingRequests++;
      return false;
    }
    this.pendingRequests++;
    return true;
  }

  releasePending(): void {
    if (this.pendingRequests > 0) this.pendingRequests--;
  }

  tryAcquireRetry(): boolean {
    if (this.retries >= this.maxRetries) {
      this.overflows.retries++;
      return false;
    }
    this.retries++;
    return true;
  }

  releaseRetry(): void {
    if (this.retries > 0) this.retries--;
  }

  tryAcquireConnection(): boolean {
    if (this.connections >= this.maxConnections) {
      this.overflows.connections++;
      return false;
    }
    this.connections++;
    return true;
  }

  releaseConnection(): void {
    if (this.connections > 0) this.connections--;
  }
}
