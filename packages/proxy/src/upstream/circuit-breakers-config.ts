/** Compiles a cluster's `circuit_breakers` (Envoy `cluster.v3.CircuitBreakers`). */
import { ProxyConfigError } from '../errors.js';
import { at, readArray, readEnum, readMessage, readPercent, readUint } from './envoy-json.js';
import { DEFAULT_LIMIT_THRESHOLDS, type LimitThresholds, type RetryBudget } from './limits.js';

const BREAKERS_FIELDS = new Set(['thresholds']);
const THRESHOLD_FIELDS = new Set([
  'priority',
  'max_connections',
  'max_pending_requests',
  'max_requests',
  'max_retries',
  'track_remaining',
  'retry_budget',
]);
const BUDGET_FIELDS = new Set(['budget_percent', 'min_retry_concurrency']);
/**
 * Thresholds per routing priority; a priority without an entry gets Envoy's defaults
 * (1024 / 1024 / 1024 / 3). `track_remaining` is accepted: the remaining counts are always kept.
 * A `retry_budget` replaces `max_retries` (see {@link RetryBudget}).
 */
export function compileCircuitBreakers(
  path: string,
  value: unknown,
): { readonly DEFAULT: LimitThresholds; readonly HIGH: LimitThresholds } {
  const out = { DEFAULT: DEFAULT_LIMIT_THRESHOLDS, HIGH: DEFAULT_LIMIT_THRESHOLDS };
  if (value === undefined) return out;
  const cb = readMessage(path, value, BREAKERS_FIELDS);
  const seen = new Set<string>();
  readArray(at(path, 'thresholds'), cb.thresholds).forEach((t, i) => {
    const p = at(at(path, 'thresholds'), i);
    const th = readMessage(p, t, THRESHOLD_FIELDS);
    const priority = readEnum(at(p, 'priority'), th.priority, ['DEFAULT', 'HIGH'], 'DEFAULT');
    if (seen.has(priority))
      throw new ProxyConfigError(at(p, 'priority'), `duplicate thresholds for ${priority}`);
    seen.add(priority);
    const d = DEFAULT_LIMIT_THRESHOLDS;
    out[priority] = Object.freeze({
      maxConnections: readUint(at(p, 'max_connections'), th.max_connections, d.maxConnections),
      maxPendingRequests: readUint(
        at(p, 'max_pending_requests'),
        th.max_pending_requests,
        d.maxPendingRequests,
      ),
      maxRequests: readUint(at(p, 'max_requests'), th.max_requests, d.maxRequests),
      maxRetries: readUint(at(p, 'max_retries'), th.max_retries, d.maxRetries),
      ...(th.retry_budget !== undefined && {
        retryBudget: compileRetryBudget(at(p, 'retry_budget'), th.retry_budget),
      }),
    });
  });
  return out;
}

/** `retry_budget`, with Envoy's defaults 20 % and 3 for the fields left out. */
function compileRetryBudget(path: string, value: unknown): RetryBudget {
  const b = readMessage(path, value, BUDGET_FIELDS);
  return Object.freeze({
    budgetPercent: readPercent(at(path, 'budget_percent'), b.budget_percent, 20),
    minRetryConcurrency: readUint(at(path, 'min_retry_concurrency'), b.min_retry_concurrency, 3),
  });
}
