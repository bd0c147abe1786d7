/**
 * Deadlines that travel with a request: an incoming `x-envoy-expected-rq-timeout-ms` (what Envoy
 * and Meshwork's proxy send upstream: the time the caller will wait) becomes an absolute deadline
 * for everything this request does; outbound calls spend only what is left and pass the
 * remainder on in the same header, so a hop never works for a caller that has given up.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { IncomingHttpHeaders } from 'node:http';

/** The header carrying the remaining budget in milliseconds. */
export const TIMEOUT_HEADER = 'x-envoy-expected-rq-timeout-ms';

const storage = new AsyncLocalStorage<number>();

/** Reads the remaining budget of an incoming request; undefined when absent or malformed. */
export function budgetFromHeaders(headers: IncomingHttpHeaders): number | undefined {
  const raw = headers[TIMEOUT_HEADER];
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > 10) return undefined;
  const ms = Number(raw);
  return Number.isInteger(ms) && ms > 0 ? ms : undefined;
}

/** Runs `fn` with an absolute deadline (ms since epoch) in scope. */
export function runWithDeadline<T>(deadlineAt: number, fn: () => T): T {
  return storage.run(deadlineAt, fn);
}

/** Milliseconds left before the current request's deadline; undefined outside a request with one. */
export function remainingMs(now = Date.now()): number | undefined {
  const deadlineAt = storage.getStore();
  return deadlineAt === undefined ? undefined : deadlineAt - now;
}
