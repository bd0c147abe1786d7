/**
 * Envoy's cluster circuit breakers (`circuit_breakers.thresholds`): plain counters against
 * limits. A refused acquire counts an overflow (Envoy's `upstream_cx_overflow`,
 * `upstream_rq_pending_overflow`, `upstream_rq_retry_overflow`); the engine answers 503 with
 * response flag `UO`.
 */
import type { ClusterLimits, RoutingPriority } from './types.js';

/**
 * Envoy's `retry_budget`: concurrent retries limited to a share of the active requests rather
 * than to a fixed `max_retries`.
 */
export interface RetryBudget {
  /** Share of active + pending requests that may be retries, 0..100 (Envoy default 20). */
  readonly budgetPercent: number;
  /** Retries always allowed regardless of the share (Envoy default 3). */
  readonly minRetryConcurrency: number;
}

/** One priority's thresholds, Envoy defaults 1024 / 1024 / 1024 / 3. */
export interface LimitThresholds {
  readonly maxConnections: number;
  readonly maxPendingRequests: number;
  readonly maxRequests: number;
  /** Ignored while `retryBudget` is set, as in Envoy. */
  readonly maxRetries: number;
  /** When set, replaces `maxRetries` by the budget. */
  readonly retryBudget?: RetryBudget;
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
  retryBudget: RetryBudget | undefined;
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
    this.retryBudget = thresholds.retryBudget;
  }

  /** Applies new thresholds while keeping the held counts, so a config push never resets them. */
  setThresholds(thresholds: LimitThresholds): void {
    this.maxConnections = thresholds.maxConnections;
    this.maxPendingRequests = thresholds.maxPendingRequests;
    this.maxRequests = thresholds.maxRequests;
    this.maxRetries = thresholds.maxRetries;
    this.retryBudget = thresholds.retryBudget;
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

  /**
   * The concurrent retries allowed now: `maxRetries`, or with a retry budget
   * max(min_retry_concurrency, budget_percent × (active + pending requests)), as Envoy computes it.
   */
  retryLimit(): number {
    const budget = this.retryBudget;
    if (budget === undefined) return this.maxRetries;
    const share = Math.floor((budget.budgetPercent / 100) * (this.requests + this.pendingRequests));
    return Math.max(share, budget.minRetryConcurrency);
  }

  tryAcquireRetry(): boolean {
    if (this.retries >= this.retryLimit()) {
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
