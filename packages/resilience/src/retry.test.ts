import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { flushMicrotasks, ManualClock } from './clock.js';
import { CallNotPermittedError, ConfigError, MaxRetriesExceededError } from './errors.js';
import { IntervalFunction } from './interval-function.js';
import { Retry, type RetryConfig, type RetryEvent } from './retry.js';
import { RetryBudget } from './retry-budget.js';

class IOError extends Error {}
class BadRequestError extends Error {}

function make(config: RetryConfig) {
  const clock = new ManualClock();
  const retry = new Retry('r', config, { clock });
  const events: RetryEvent[] = [];
  retry.events.onEvent((e) => events.push(e));
  return { clock, retry, events };
}

/** A task failing `failures` times, then returning 'ok'; records attempts and call times. */
function flaky(clock: ManualClock, failures: number, error: unknown = new IOError('io')) {
  const seen: { attempt: number; at: number }[] = [];
  const fn = async (ctx: { attempt: number }) => {
    seen.push({ attempt: ctx.attempt, at: clock.now() });
    if (seen.length <= failures) throw error;
    return 'ok';
  };
  return { fn, seen };
}

describe('Retry', () => {
  test('retries up to maxAttempts (including the first call) waiting waitDurationMs', async () => {
    const { clock, retry, events } = make({ maxAttempts: 3, waitDurationMs: 500 });
    const { fn, seen } = flaky(clock, 2);
    const pending = retry.execute(fn);
    await clock.advanceAsync(1000);
    assert.equal(await pending, 'ok');
    assert.deepEqual(seen, [
      { attempt: 1, at: 0 },
      { attempt: 2, at: 500 },
      { attempt: 3, at: 1000 },
    ]);
    assert.deepEqual(
      events.map((e) => e.type),
      ['RETRY', 'RETRY', 'SUCCESS'],
    );
  });

  test('rethrows the last error after maxAttempts', async () => {
    const { clock, retry } = make({ maxAttempts: 2, waitDurationMs: 10 });
    const { fn, seen } = flaky(clock, 5);
    const pending = retry.execute(fn);
    pending.catch(() => {});
    await clock.advanceAsync(100);
    await assert.rejects(pending, IOError);
    assert.equal(seen.length, 2);
  });

  test('retryExceptions and ignoreExceptions decide what is retried', async () => {
    const { clock, retry } = make({
      retryExceptions: [IOError, 'ECONNRESET'],
      ignoreExceptions: [BadRequestError],
    });
    const bad = flaky(clock, 5, new BadRequestError('400'));
    await assert.rejects(retry.execute(bad.fn), BadRequestError);
    assert.equal(bad.seen.length, 1);
    const other = flaky(clock, 5, new TypeError('not listed'));
    await assert.rejects(retry.execute(other.fn), TypeError);
    assert.equal(other.seen.length, 1);
    const reset = flaky(clock, 1, Object.assign(new Error('reset'), { code: 'ECONNRESET' }));
    const pending = retry.execute(reset.fn);
    await clock.advanceAsync(500);
    assert.equal(await pending, 'ok');
  });

  test('an open circuit is not retried unless listed explicitly', async () => {
    const { clock, retry } = make({ maxAttempts: 3, waitDurationMs: 10 });
    const open = flaky(clock, 5, new CallNotPermittedError('cb', 'OPEN'));
    await assert.rejects(retry.execute(open.fn), { code: 'MESH_ERR_CIRCUIT_OPEN' });
    assert.equal(open.seen.length, 1);
    const explicit = make({ maxAttempts: 2, waitDurationMs: 10, retryExceptions: ['MESH_ERR_CIRCUIT_OPEN'] });
    const again = flaky(explicit.clock, 1, new CallNotPermittedError('cb', 'OPEN'));
    const pending = explicit.retry.execute(again.fn);
    await explicit.clock.advanceAsync(10);
    assert.equal(await pending, 'ok');
  });

  test('retryOnResult retries results and returns the last one when attempts run out', async () => {
    const { clock, retry } = make({ maxAttempts: 3, waitDurationMs: 1, retryOnResult: (r) => r === 503 });
    let calls = 0;
    const pending = retry.execute(async () => (++calls < 3 ? 503 : 200));
    await clock.advanceAsync(10);
    assert.equal(await pending, 200);
    const always = retry.execute(async () => 503);
    await clock.advanceAsync(10);
    assert.equal(await always, 503);
  });

  test('failAfterMaxAttempts throws MaxRetriesExceededError carrying the last result', async () => {
    const { clock, retry } = make({
      maxAttempts: 2,
      waitDurationMs: 1,
      retryOnResult: (r) => r === 503,
      failAfterMaxAttempts: true,
    });
    const pending = retry.execute(async () => 503);
    pending.catch(() => {});
    await clock.advanceAsync(10);
    await assert.rejects(
      pending,
      (e: unknown) =>
        e instanceof MaxRetriesExceededError &&
        e.code === 'MESH_ERR_MAX_RETRIES_EXCEEDED' &&
        e.lastResult === 503,
    );
  });

  test('metrics count successes and failures with and without retries', async () => {
    const { clock, retry } = make({ maxAttempts: 2, waitDurationMs: 0 });
    await retry.execute(async () => 'first time');
    await retry.execute(flaky(clock, 1).fn);
    await assert.rejects(retry.execute(flaky(clock, 5).fn));
    await assert.rejects(retry.execute(flaky(clock, 5, new CallNotPermittedError('cb', 'OPEN')).fn));
    assert.deepEqual(retry.metrics, {
      numberOfSuccessfulCallsWithoutRetryAttempt: 1,
      numberOfSuccessfulCallsWithRetryAttempt: 1,
      numberOfFailedCallsWithoutRetryAttempt: 1,
      numberOfFailedCallsWithRetryAttempt: 1,
    });
  });

  test('the interval function sees the outcome, e.g. to honour Retry-After', async () => {
    const { clock, retry } = make({
      maxAttempts: 2,
      retryOnResult: (r) => (r as { status: number }).status === 503,
      intervalFunction: (_attempt, _previous, outcome) =>
        (outcome as { retryAfterMs?: number })?.retryAfterMs ?? 10,
    });
    const seen: number[] = [];
    const pending = retry.execute(async ({ attempt }) => {
      seen.push(clock.now());
      return attempt === 1 ? { status: 503, retryAfterMs: 750 } : { status: 200 };
    });
    await clock.advanceAsync(1000);
    assert.deepEqual(await pending, { status: 200 });
    assert.deepEqual(seen, [0, 750]);
  });

  test('an abort during the backoff wait rejects with MESH_ERR_ABORTED and stops retrying', async () => {
    const { clock, retry } = make({ maxAttempts: 5, waitDurationMs: 1000 });
    const { fn, seen } = flaky(clock, 5);
    const controller = new AbortController();
    const pending = retry.execute(fn, controller.signal);
    await flushMicrotasks();
    controller.abort();
    await assert.rejects(pending, { code: 'MESH_ERR_ABORTED' });
    await clock.advanceAsync(10_000);
    assert.equal(seen.length, 1);
  });

  test('does not retry when the wait would pass the deadline', async () => {
    const { clock, retry } = make({ maxAttempts: 5, waitDurationMs: 1000 });
    const { ExecutionContext } = await import('./context.js');
    const parent = new ExecutionContext();
    parent.deadline = 1500;
    const { fn, seen } = flaky(clock, 5);
    const pending = retry.execute(fn, parent);
    pending.catch(() => {});
    await clock.advanceAsync(5000);
    await assert.rejects(pending, IOError);
    assert.equal(seen.length, 2);
  });

  test('a retry budget stops retry storms', async () => {
    const clock = new ManualClock();
    const budget = new RetryBudget({ ttlMs: 1000, minRetriesPerSecond: 1, percentCanRetry: 0.5 }, { clock });
    const retry = new Retry('r', { maxAttempts: 2, waitDurationMs: 0, retryBudget: budget }, { clock });
    let attempts = 0;
    const failing = async () => {
      attempts++;
      throw new IOError('down');
    };
    for (let i = 0; i < 10; i++) await assert.rejects(retry.execute(failing), IOError);
    // 10 requests → 0.5 × 10 + 1 × 1 s = 6 retries allowed.
    assert.equal(attempts, 16);
    clock.advance(1000);
    assert.equal(budget.balance, 1, 'the window moved on');
  });

  test('the plain-config backoff switches build Resilience4j interval functions', async () => {
    const { clock, retry } = make({
      maxAttempts: 4,
      waitDurationMs: 100,
      enableExponentialBackoff: true,
      exponentialBackoffMultiplier: 2,
    });
    const { fn, seen } = flaky(clock, 3);
    const pending = retry.execute(fn);
    await clock.advanceAsync(1000);
    assert.equal(await pending, 'ok');
    assert.deepEqual(
      seen.map((s) => s.at),
      [0, 100, 300, 700],
    );
  });

  test('rejects a bad retry budget naming the field', () => {
    assert.throws(
      () => new Retry('r', { retryBudget: { percentCanRetry: 2 } }),
      /retry\.retryBudget\.percentCanRetry: must be <= 1, got 2/,
    );
    assert.throws(() => new RetryBudget({ ttlMs: 10 }), /retryBudget\.ttlMs: must be >= 1000/);
  });

  test('rejects bad config naming the field', () => {
    assert.throws(
      () => new Retry('r', { maxAttempts: 0 }),
      (e: unknown) => e instanceof ConfigError && e.path === 'retry.maxAttempts',
    );
    assert.throws(() => new Retry('r', { retryExceptions: [42 as never] }), /retry\.retryExceptions\[0\]/);
  });
});

describe('IntervalFunction', () => {
  test('exponential backoff grows by the multiplier and caps at the max', () => {
    const f = IntervalFunction.ofExponentialBackoff(200, 2, 1000);
    assert.deepEqual(
      [1, 2, 3, 4, 5].map((a) => f(a, 0)),
      [200, 400, 800, 1000, 1000],
    );
  });

  test('ofExponentialRandomBackoff(200, 2.0, 10 s) jitters ±50% and never exceeds the max', () => {
    const low = IntervalFunction.ofExponentialRandomBackoff(200, 2.0, 10_000, 0.5, () => 0);
    const high = IntervalFunction.ofExponentialRandomBackoff(200, 2.0, 10_000, 0.5, () => 0.999999);
    assert.equal(low(1, 0), 100);
    assert.ok(Math.abs(high(1, 0) - 300) < 0.01);
    assert.equal(low(3, 0), 400);
    assert.equal(high(10, 0), 10_000);
  });

  test('decorrelated jitter stays between base and 3× the previous wait, capped', () => {
    const f = IntervalFunction.ofDecorrelatedJitter(100, 1000, () => 1);
    assert.equal(f(1, 0), 100);
    assert.equal(f(2, 100), 300);
    assert.equal(f(3, 300), 900);
    assert.equal(f(4, 900), 1000);
  });

  test('rejects a multiplier below 1', () => {
    assert.throws(() => IntervalFunction.ofExponentialBackoff(100, 0.5), /multiplier/);
  });
});
