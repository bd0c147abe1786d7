/** Restart backoff for crashed children: exponential, capped, reset after a stable run. */

/** Backoff settings. */
export interface BackoffPolicy {
  /** Delay before the first restart; default 500 ms. */
  initialMs: number;
  /** Cap; default 30 s. */
  maxMs: number;
  /** A run at least this long resets the count; default 60 s. */
  resetAfterMs: number;
}

/** The defaults. */
export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 500, maxMs: 30_000, resetAfterMs: 60_000 };

/** Delay before restart number `attempt` (1-based): initial × 2^(attempt-1), capped. */
export function restartDelayMs(policy: BackoffPolicy, attempt: number): number {
  return Math.min(policy.maxMs, policy.initialMs * 2 ** Math.max(0, Math.min(attempt - 1, 30)));
}

/** The attempt count after a run of `ranForMs`: a stable run starts the count over. */
export function nextAttempt(policy: BackoffPolicy, previousAttempt: number, ranForMs: number): number {
  return ranForMs >= policy.resetAfterMs ? 1 : previousAttempt + 1;
}
