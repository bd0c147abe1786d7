import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Bulkhead } from './bulkhead.js';
import { CircuitBreaker } from './circuit-breaker.js';
import { ManualClock } from './clock.js';
import type { ExecutionContext, Policy, Task } from './context.js';
import { Fallback } from './fallback.js';
import { Retry } from './retry.js';
import { TimeLimiter } from './time-limiter.js';
import { TimerWheel } from './timer-wheel.js';
import { wrap } from './wrap.js';

/** A policy that logs when it enters and leaves, to observe nesting order. */
function tracer(name: string, log: string[]): Policy {
  return {
    async execute<T>(fn: Task<T>, parent?: ExecutionContext | AbortSignal): Promise<T> {
      log.push(`>${name}`);
      try {
        return await fn(parent as ExecutionContext);
      } finally {
        log.push(`<${name}`);
      }
    },
  };
}

describe('wrap', () => {
  test('the first policy is outermost', async () => {
    const log: string[] = [];
    const policy = wrap(tracer('a', log), tracer('b', log), tracer('c', log));
    assert.equal(
      await policy.execute(() => {
        log.push('fn');
        return 7;
      }),
      7,
    );
    assert.deepEqual(log, ['>a', '>b', '>c', 'fn', '<c', '<b', '<a']);
  });

  test('passes attempt, deadline and signal inward', async () => {
    const clock = new ManualClock();
    const retry = new Retry('r', { maxAttempts: 3, waitDurationMs: 0 }, { clock });
    const timeout = new TimeLimiter('t', { timeoutDurationMs: 500 }, { clock, wheel: new TimerWheel(clock) });
    const seen: { attempt: number; deadline: number }[] = [];
    const policy = wrap(retry, timeout);
    const result = await policy.execute(async (ctx) => {
      seen.push({ attempt: ctx.attempt, deadline: ctx.deadline });
      assert.equal(ctx.signal.aborted, false);
      if (ctx.attempt < 3) throw new Error('again');
      return 'done';
    });
    assert.equal(result, 'done');
    assert.deepEqual(seen, [
      { attempt: 1, deadline: 500 },
      { attempt: 2, deadline: 500 },
      { attempt: 3, deadline: 500 },
    ]);
  });

  test('the caller signal reaches the innermost function', async () => {
    const controller = new AbortController();
    const policy = wrap(new Retry('r', { maxAttempts: 1 }), new CircuitBreaker('cb'));
    controller.abort(new Error('gone'));
    const reason = await policy.execute((ctx) => ctx.signal.reason, controller.signal);
    assert.match(String(reason), /gone/);
  });

  test('nested wraps each find their own task', async () => {
    const inner = wrap(new CircuitBreaker('a'), new Bulkhead('b'));
    const outer = wrap(new Retry('r', { maxAttempts: 1 }), inner);
    assert.equal(await outer.execute(() => 'outer'), 'outer');
    assert.equal(await inner.execute(() => 'inner'), 'inner');
  });

  test('fallback + breaker + retry + time limiter, as @CircuitBreaker @Retry @TimeLimiter fallbackMethod', async () => {
    const clock = new ManualClock();
    const breaker = new CircuitBreaker(
      'inventory',
      { slidingWindowSize: 2, minimumNumberOfCalls: 2 },
      { clock },
    );
    const policy = wrap(
      new Fallback({ fallback: () => ({ productId: 42, available: 'unknown' }) }),
      breaker,
      new Retry('inventory', { maxAttempts: 2, waitDurationMs: 0 }, { clock }),
      new TimeLimiter('inventory', { timeoutDurationMs: 1000 }, { clock, wheel: new TimerWheel(clock) }),
    );
    const down = async () => {
      throw Object.assign(new Error('refused'), { code: 'ECONNREFUSED' });
    };
    assert.deepEqual(await policy.execute(down), { productId: 42, available: 'unknown' });
    assert.deepEqual(await policy.execute(down), { productId: 42, available: 'unknown' });
    assert.equal(breaker.state, 'OPEN');
    let called = false;
    const result = await policy.execute(async () => {
      called = true;
      return { productId: 42, available: 3 };
    });
    assert.equal(called, false, 'an open breaker short-circuits to the fallback');
    assert.deepEqual(result, { productId: 42, available: 'unknown' });
  });

  test('a policy that drops the context gets a clear error', async () => {
    const careless: Policy = { execute: (fn) => Promise.resolve(fn(undefined as never)) };
    await assert.rejects(
      wrap(careless, new Bulkhead('b')).execute(() => 1),
      /did not pass the context/,
    );
  });

  test('hundreds of concurrent calls through bulkhead and time limiter all settle correctly', async () => {
    const bulkhead = new Bulkhead('b', { maxConcurrentCalls: 10, maxWaitDurationMs: Infinity });
    const policy = wrap(bulkhead, new TimeLimiter('t', { timeoutDurationMs: 5000 }));
    const results = await Promise.allSettled(
      Array.from({ length: 300 }, (_, i) =>
        policy.execute(async () => {
          await new Promise((resolve) => setImmediate(resolve));
          if (i % 7 === 0) throw new Error(`fail ${i}`);
          return i;
        }),
      ),
    );
    results.forEach((r, i) => {
      if (i % 7 === 0) assert.equal(r.status === 'rejected' && (r.reason as Error).message, `fail ${i}`);
      else assert.equal(r.status === 'fulfilled' && r.value, i);
    });
    assert.equal(bulkhead.availableConcurrentCalls, 10);
    assert.equal(bulkhead.queueDepth, 0);
  });

  test('rejects things that are not policies', () => {
    assert.throws(() => wrap(), /at least one policy/);
    assert.throws(() => wrap({} as never), /wrap\[0\]: is not a policy/);
  });
});
