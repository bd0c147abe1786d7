import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { boom, calls, make } from './circuit-breaker.fixtures.js';
import { BulkheadFullError, CallNotPermittedError } from './errors.js';

describe('CircuitBreaker (count-based)', () => {
  test('opens when the failure rate reaches the threshold once minimumNumberOfCalls are recorded', () => {
    const { breaker, transitions } = make({ slidingWindowSize: 10, minimumNumberOfCalls: 4 });
    calls(breaker, 'FFF');
    assert.equal(breaker.state, 'CLOSED', '100% failures, but below the minimum number of calls');
    assert.equal(breaker.metrics.failureRate, -1);
    calls(breaker, 'S');
    assert.equal(breaker.state, 'OPEN');
    assert.equal(breaker.metrics.failureRate, 75);
    assert.deepEqual(transitions(), ['CLOSED>OPEN']);
  });

  test('trips at exactly the threshold (>=)', () => {
    const { breaker } = make({ slidingWindowSize: 4, minimumNumberOfCalls: 4, failureRateThreshold: 50 });
    calls(breaker, 'SSF');
    assert.equal(breaker.state, 'CLOSED');
    calls(breaker, 'F');
    assert.equal(breaker.state, 'OPEN');
  });

  test('the window holds only the last N calls', () => {
    const { breaker } = make({ slidingWindowSize: 4, minimumNumberOfCalls: 4, failureRateThreshold: 75 });
    calls(breaker, 'FFSS');
    calls(breaker, 'SS');
    assert.equal(breaker.metrics.numberOfFailedCalls, 0);
    assert.equal(breaker.metrics.numberOfBufferedCalls, 4);
    calls(breaker, 'FF');
    assert.equal(breaker.state, 'CLOSED');
    calls(breaker, 'F');
    assert.equal(breaker.state, 'OPEN');
  });

  test('minimumNumberOfCalls is capped at the window size for COUNT_BASED', () => {
    const { breaker } = make({ slidingWindowSize: 10 });
    assert.equal(breaker.config.minimumNumberOfCalls, 10);
    calls(breaker, 'FFFFFSSSSS');
    assert.equal(breaker.state, 'OPEN');
  });

  test('OPEN rejects, counts not-permitted calls and emits NOT_PERMITTED', async () => {
    const { breaker, events } = make({ slidingWindowSize: 2 });
    calls(breaker, 'FF');
    assert.equal(breaker.tryAcquirePermission(), false);
    assert.throws(
      () => breaker.acquirePermission(),
      (e: unknown) => e instanceof CallNotPermittedError && e.code === 'MESH_ERR_CIRCUIT_OPEN',
    );
    await assert.rejects(
      breaker.execute(() => 1),
      { code: 'MESH_ERR_CIRCUIT_OPEN' },
    );
    assert.equal(breaker.metrics.numberOfNotPermittedCalls, 3);
    assert.equal(events.filter((e) => e.type === 'NOT_PERMITTED').length, 3);
    assert.equal(breaker.metrics.failureRate, 100, 'OPEN keeps the window that tripped it');
  });

  test('waitDurationInOpenState then HALF_OPEN on the next call; all permitted successes close it', () => {
    const { clock, breaker, transitions } = make({
      slidingWindowSize: 2,
      waitDurationInOpenStateMs: 30_000,
      permittedNumberOfCallsInHalfOpenState: 3,
    });
    calls(breaker, 'FF');
    clock.advance(29_999);
    assert.equal(breaker.tryAcquirePermission(), false);
    clock.advance(1);
    assert.equal(breaker.state, 'OPEN', 'no automatic transition by default');
    calls(breaker, 'SS');
    assert.equal(breaker.state, 'HALF_OPEN');
    assert.equal(breaker.metrics.failureRate, -1, 'half-open rates wait for all permitted calls');
    calls(breaker, 'S');
    assert.equal(breaker.state, 'CLOSED');
    assert.deepEqual(transitions(), ['CLOSED>OPEN', 'OPEN>HALF_OPEN', 'HALF_OPEN>CLOSED']);
    assert.equal(breaker.metrics.numberOfBufferedCalls, 0, 'each state change starts a fresh window');
  });

  test('HALF_OPEN permits only permittedNumberOfCallsInHalfOpenState calls and reopens over the threshold', () => {
    const { clock, breaker, transitions } = make({
      slidingWindowSize: 2,
      permittedNumberOfCallsInHalfOpenState: 2,
    });
    calls(breaker, 'FF');
    clock.advance(60_000);
    assert.ok(breaker.tryAcquirePermission());
    assert.ok(breaker.tryAcquirePermission());
    assert.equal(breaker.tryAcquirePermission(), false);
    breaker.onSuccess(1);
    breaker.onError(1, boom);
    assert.equal(breaker.state, 'OPEN');
    assert.deepEqual(transitions(), ['CLOSED>OPEN', 'OPEN>HALF_OPEN', 'HALF_OPEN>OPEN']);
  });

  test('releasePermission and ignored errors give the half-open permit back', () => {
    const { clock, breaker, events } = make({
      slidingWindowSize: 2,
      permittedNumberOfCallsInHalfOpenState: 1,
      ignoreExceptions: ['EBADREQ'],
    });
    calls(breaker, 'FF');
    clock.advance(60_000);
    assert.ok(breaker.tryAcquirePermission());
    assert.equal(breaker.tryAcquirePermission(), false);
    breaker.releasePermission();
    assert.ok(breaker.tryAcquirePermission());
    breaker.onError(1, Object.assign(new Error('bad'), { code: 'EBADREQ' }));
    assert.equal(breaker.state, 'HALF_OPEN');
    assert.equal(events.filter((e) => e.type === 'IGNORED_ERROR').length, 1);
    assert.ok(breaker.tryAcquirePermission());
    breaker.onSuccess(1);
    assert.equal(breaker.state, 'CLOSED');
  });

  test('exponential waitDurationInOpenState grows with each reopen and resets when closed', () => {
    const { clock, breaker } = make({
      slidingWindowSize: 1,
      permittedNumberOfCallsInHalfOpenState: 1,
      waitDurationInOpenStateMs: (attempt) => 1000 * 2 ** (attempt - 1),
    });
    calls(breaker, 'F');
    clock.advance(1000);
    calls(breaker, 'F'); // half-open probe fails: attempt 2 waits 2 s
    assert.equal(breaker.state, 'OPEN');
    clock.advance(1999);
    assert.equal(breaker.tryAcquirePermission(), false);
    clock.advance(1);
    calls(breaker, 'F'); // attempt 3 waits 4 s
    clock.advance(3999);
    assert.equal(breaker.tryAcquirePermission(), false);
    clock.advance(1);
    calls(breaker, 'S');
    assert.equal(breaker.state, 'CLOSED');
    calls(breaker, 'F');
    clock.advance(1000);
    assert.ok(breaker.tryAcquirePermission(), 'back to the first wait after closing');
  });

  test('plain-config exponential backoff of the OPEN wait (Spring property names)', () => {
    const { clock, breaker } = make({
      slidingWindowSize: 1,
      permittedNumberOfCallsInHalfOpenState: 1,
      waitDurationInOpenStateMs: 1000,
      enableExponentialBackoff: true,
      exponentialBackoffMultiplier: 3,
      exponentialMaxWaitDurationInOpenStateMs: 5000,
    });
    calls(breaker, 'F');
    clock.advance(1000);
    calls(breaker, 'F'); // second open: 3 s
    clock.advance(2999);
    assert.equal(breaker.tryAcquirePermission(), false);
    clock.advance(1);
    calls(breaker, 'F'); // third open: 9 s, capped at 5 s
    clock.advance(5000);
    assert.ok(breaker.tryAcquirePermission());
  });

  test('automaticTransitionFromOpenToHalfOpenEnabled moves to HALF_OPEN on a timer', () => {
    const { clock, breaker } = make({
      slidingWindowSize: 1,
      waitDurationInOpenStateMs: 5000,
      automaticTransitionFromOpenToHalfOpenEnabled: true,
    });
    calls(breaker, 'F');
    clock.advance(4999);
    assert.equal(breaker.state, 'OPEN');
    assert.equal(breaker.tryAcquirePermission(), false);
    clock.advance(1);
    assert.equal(breaker.state, 'HALF_OPEN');
  });

  test('maxWaitDurationInHalfOpenState moves HALF_OPEN to OPEN when exceeded', () => {
    const { clock, breaker } = make({ slidingWindowSize: 1, maxWaitDurationInHalfOpenStateMs: 2000 });
    calls(breaker, 'F');
    clock.advance(60_000);
    breaker.transitionToHalfOpenState();
    clock.advance(1999);
    assert.equal(breaker.state, 'HALF_OPEN');
    clock.advance(1);
    assert.equal(breaker.state, 'OPEN');
  });

  test('maxWaitDurationInHalfOpenState 0 waits for the permitted calls as long as they take', () => {
    const { clock, breaker } = make({ slidingWindowSize: 1, permittedNumberOfCallsInHalfOpenState: 2 });
    breaker.transitionToHalfOpenState();
    clock.advance(3_600_000);
    assert.equal(breaker.state, 'HALF_OPEN');
    calls(breaker, 'SS');
    assert.equal(breaker.state, 'CLOSED');
  });

  test('a probe that never reports back cannot wedge HALF_OPEN', () => {
    const { clock, breaker } = make({
      slidingWindowSize: 1,
      permittedNumberOfCallsInHalfOpenState: 1,
      waitDurationInOpenStateMs: 1000,
      halfOpenPermitTimeoutMs: 10_000,
    });
    calls(breaker, 'F');
    clock.advance(1000);
    assert.ok(breaker.tryAcquirePermission()); // the probe is lost
    clock.advance(9999);
    assert.equal(breaker.tryAcquirePermission(), false);
    assert.equal(breaker.state, 'HALF_OPEN');
    clock.advance(1);
    assert.equal(breaker.tryAcquirePermission(), false);
    assert.equal(breaker.state, 'OPEN');
    clock.advance(2000);
    assert.ok(breaker.tryAcquirePermission(), 'fresh permits after the next wait');
  });

  test('slow calls are strictly longer than the threshold and trip slowCallRateThreshold', () => {
    const { breaker, events } = make({
      slidingWindowSize: 4,
      slowCallRateThreshold: 50,
      slowCallDurationThresholdMs: 2000,
    });
    calls(breaker, 'SS', 2000);
    assert.equal(breaker.metrics.numberOfSlowCalls, 0);
    calls(breaker, 'S', 2001);
    calls(breaker, 'F', 2001);
    assert.equal(breaker.state, 'OPEN');
    const m = breaker.metrics;
    assert.equal(m.numberOfSlowSuccessfulCalls, 1);
    assert.equal(m.numberOfSlowFailedCalls, 1);
    assert.equal(m.slowCallRate, 50);
    assert.equal(m.failureRate, 25);
    assert.deepEqual(
      events.filter((e) => e.type.endsWith('EXCEEDED')).map((e) => e.type),
      ['SLOW_CALL_RATE_EXCEEDED'],
    );
  });

  test('recordExceptions limits what counts as failure; other errors count as successes', () => {
    const { breaker } = make({ slidingWindowSize: 2, recordExceptions: ['ECONNRESET'] });
    calls(breaker, 'FF');
    assert.equal(breaker.state, 'CLOSED');
    assert.equal(breaker.metrics.numberOfSuccessfulCalls, 2);
    breaker.onError(1, Object.assign(new Error('reset'), { code: 'ECONNRESET' }));
    breaker.onError(1, Object.assign(new Error('reset'), { code: 'ECONNRESET' }));
    assert.equal(breaker.state, 'OPEN');
  });

  test('recordResult turns results into failures while execute still returns them', async () => {
    const { breaker } = make({
      slidingWindowSize: 2,
      recordResult: (r) => (r as { status: number }).status >= 500,
    });
    assert.deepEqual(await breaker.execute(() => ({ status: 503 })), { status: 503 });
    await breaker.execute(async () => ({ status: 502 }));
    assert.equal(breaker.state, 'OPEN');
  });

  test('local rejections (bulkhead full) are ignored, not failures', async () => {
    const { breaker } = make({ slidingWindowSize: 1 });
    await assert.rejects(
      breaker.execute(() => {
        throw new BulkheadFullError('b', 'full');
      }),
    );
    assert.equal(breaker.state, 'CLOSED');
    assert.equal(breaker.metrics.numberOfBufferedCalls, 0);
  });

  test('execute records thrown errors and async rejections with their duration', async () => {
    const { clock, breaker } = make({ slidingWindowSize: 2, slowCallDurationThresholdMs: 10 });
    await assert.rejects(
      breaker.execute(() => {
        throw boom;
      }),
      boom,
    );
    const pending = breaker.execute(async () => {
      await new Promise((r) => setImmediate(r));
      clock.advance(11);
      throw boom;
    });
    await assert.rejects(pending, boom);
    assert.equal(breaker.metrics.numberOfSlowFailedCalls, 1);
    assert.equal(breaker.state, 'OPEN');
  });
});
