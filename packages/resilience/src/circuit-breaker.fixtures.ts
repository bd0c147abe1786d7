import assert from 'node:assert/strict';
import { CircuitBreaker } from './circuit-breaker.js';
import type { CircuitBreakerConfig } from './circuit-breaker-config.js';
import type { CircuitBreakerEvent } from './circuit-breaker-types.js';
import { ManualClock } from './clock.js';

/** Test fixtures shared by the circuit breaker tests. */
export const boom = new Error('boom');

/** A breaker on a manual clock, with every event it publishes recorded. */
export function make(config: CircuitBreakerConfig = {}) {
  const clock = new ManualClock();
  const breaker = new CircuitBreaker('test', config, { clock });
  const events: CircuitBreakerEvent[] = [];
  breaker.events.onEvent((e) => events.push(e));
  const transitions = () =>
    events.flatMap((e) => (e.type === 'STATE_TRANSITION' ? [`${e.from}>${e.to}`] : []));
  return { clock, breaker, events, transitions };
}

/** Records one call per letter of `pattern` through the sync API: F = failure, S = success. */
export function calls(breaker: CircuitBreaker, pattern: string, durationMs = 1): void {
  for (const c of pattern) {
    assert.ok(breaker.tryAcquirePermission(), `permission for call '${c}' in ${breaker.state}`);
    if (c === 'F') breaker.onError(durationMs, boom);
    else breaker.onSuccess(durationMs);
  }
}
