import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { boom, calls, make } from './circuit-breaker.fixtures.js';
import { CircuitBreaker } from './circuit-breaker.js';
import { ManualClock } from './clock.js';
import { ConfigError } from './errors.js';

describe('CircuitBreaker (time-based)', () => {
  test('aggregates the calls of the last N seconds in per-second buckets', () => {
    const { clock, breaker } = make({
      slidingWindowType: 'TIME_BASED',
      slidingWindowSize: 5,
      minimumNumberOfCalls: 4,
    });
    calls(breaker, 'FF');
    clock.advance(1000);
    calls(breaker, 'S');
    clock.advance(4000); // the first second's two failures leave the window
    calls(breaker, 'SSS');
    assert.equal(breaker.metrics.numberOfBufferedCalls, 4);
    assert.equal(breaker.metrics.failureRate, 0);
    clock.advance(10_000);
    assert.equal(breaker.metrics.numberOfBufferedCalls, 0, 'reading metrics advances the window');
  });

  test('opens when the failure rate over the time window reaches the threshold', () => {
    const { clock, breaker } = make({
      slidingWindowType: 'TIME_BASED',
      slidingWindowSize: 10,
      minimumNumberOfCalls: 4,
    });
    calls(breaker, 'SF');
    clock.advance(3000);
    calls(breaker, 'S');
    assert.equal(breaker.state, 'CLOSED');
    calls(breaker, 'F');
    assert.equal(breaker.state, 'OPEN');
  });
});

describe('CircuitBreaker special states', () => {
  test('FORCED_OPEN rejects everything until another transition', () => {
    const { clock, breaker } = make();
    breaker.transitionToForcedOpenState();
    clock.advance(10 * 60_000);
    assert.equal(breaker.tryAcquirePermission(), false);
    assert.equal(breaker.metrics.numberOfNotPermittedCalls, 1);
    breaker.transitionToClosedState();
    assert.ok(breaker.tryAcquirePermission());
  });

  test('DISABLED permits everything and records nothing', () => {
    const { breaker, events } = make({ slidingWindowSize: 1 });
    breaker.transitionToDisabledState();
    events.length = 0;
    calls(breaker, 'FFFF');
    assert.equal(breaker.state, 'DISABLED');
    assert.equal(breaker.metrics.numberOfBufferedCalls, 0);
    assert.equal(events.length, 0);
  });

  test('METRICS_ONLY records and emits but never opens; exceeded events once each', () => {
    const { breaker, events } = make({ slidingWindowSize: 2 });
    breaker.transitionToMetricsOnlyState();
    calls(breaker, 'FFFFFF');
    assert.equal(breaker.state, 'METRICS_ONLY');
    assert.equal(breaker.metrics.failureRate, 100);
    assert.equal(events.filter((e) => e.type === 'ERROR').length, 6);
    assert.equal(events.filter((e) => e.type === 'FAILURE_RATE_EXCEEDED').length, 1);
  });

  test('no transition event for a same-state transition, but the window restarts', () => {
    const { breaker, transitions } = make({ slidingWindowSize: 10 });
    calls(breaker, 'FS');
    breaker.transitionToClosedState();
    assert.deepEqual(transitions(), []);
    assert.equal(breaker.metrics.numberOfBufferedCalls, 0);
  });

  test('reset returns to CLOSED with a transition and a RESET event', () => {
    const { breaker, events, transitions } = make({ slidingWindowSize: 1 });
    calls(breaker, 'F');
    breaker.reset();
    assert.equal(breaker.state, 'CLOSED');
    assert.deepEqual(transitions(), ['CLOSED>OPEN', 'OPEN>CLOSED']);
    assert.equal(events.at(-1)?.type, 'RESET');
  });

  test('calls permitted before a transition still report without moving the new state', () => {
    const { breaker } = make({ slidingWindowSize: 1 });
    assert.ok(breaker.tryAcquirePermission());
    breaker.transitionToOpenState();
    breaker.onError(1, boom);
    assert.equal(breaker.state, 'OPEN');
  });
});

describe('CircuitBreaker config', () => {
  test('rejects bad values naming the field', () => {
    assert.throws(
      () => new CircuitBreaker('x', { failureRateThreshold: 150 }),
      (e: unknown) => e instanceof ConfigError && e.path === 'circuitBreaker.failureRateThreshold',
    );
    assert.throws(() => new CircuitBreaker('x', { slidingWindowType: 'SIZE' as never }), /slidingWindowType/);
    assert.throws(() => new CircuitBreaker('x', { slidingWindowSize: 0 }), /slidingWindowSize: must be >= 1/);
    assert.throws(
      () => new CircuitBreaker('x', { waitDurationInOpenStateMs: -1 }),
      /waitDurationInOpenStateMs/,
    );
    assert.throws(
      () => new CircuitBreaker('x', { failureRateTreshold: 5 } as never),
      /failureRateTreshold: unknown setting/,
    );
  });
});

describe('CircuitBreaker misuse', () => {
  test('a non-function task is a TypeError and not a recorded failure', async () => {
    const { breaker } = make({ slidingWindowSize: 1 });
    await assert.rejects(breaker.execute(undefined as never), /fn must be a function, got undefined/);
    assert.equal(breaker.metrics.numberOfBufferedCalls, 0);
    assert.equal(breaker.state, 'CLOSED');
  });

  test('a wait function returning NaN cannot wedge the breaker open', () => {
    const { clock, breaker } = make({ slidingWindowSize: 1, waitDurationInOpenStateMs: () => Number.NaN });
    calls(breaker, 'F');
    clock.advance(0);
    assert.ok(breaker.tryAcquirePermission());
    assert.equal(breaker.state, 'HALF_OPEN');
  });
});

describe('CircuitBreaker without slow-call detection', () => {
  test('slowCallDurationThresholdMs Infinity skips call timing but still trips on failures', async () => {
    const manual = new ManualClock();
    let reads = 0;
    const clock = {
      now: () => {
        reads++;
        return manual.now();
      },
      setTimeout: manual.setTimeout.bind(manual),
      clearTimeout: manual.clearTimeout.bind(manual),
    };
    const breaker = new CircuitBreaker(
      'untimed',
      { slidingWindowSize: 2, slowCallDurationThresholdMs: Infinity },
      { clock },
    );
    await breaker.execute(async () => 'ok');
    assert.equal(reads, 0);
    await assert.rejects(breaker.execute(() => Promise.reject(new Error('x'))));
    await assert.rejects(breaker.execute(() => Promise.reject(new Error('x'))));
    assert.equal(breaker.state, 'OPEN');
  });
});
