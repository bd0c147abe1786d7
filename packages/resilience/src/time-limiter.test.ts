import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { flushMicrotasks, ManualClock } from './clock.js';
import { ExecutionContext } from './context.js';
import { ConfigError, TimeoutError } from './errors.js';
import { TimeLimiter } from './time-limiter.js';
import { TimerWheel } from './timer-wheel.js';

function make(timeoutDurationMs = 1000, cancelRunningFuture = true) {
  const clock = new ManualClock();
  const wheel = new TimerWheel(clock);
  const limiter = new TimeLimiter('t', { timeoutDurationMs, cancelRunningFuture }, { clock, wheel });
  return { clock, wheel, limiter };
}

describe('TimeLimiter', () => {
  test('returns the result when the call finishes in time and clears its deadline', async () => {
    const { clock, wheel, limiter } = make();
    assert.equal(await limiter.execute(async () => 42), 42);
    assert.equal(await limiter.execute(() => 'sync'), 'sync');
    clock.advance(5000);
    assert.equal(wheel.armedSlots, 0);
  });

  test('rejects with TimeoutError at the deadline even if the callee ignores the signal', async () => {
    const { clock, limiter } = make(1000);
    const pending = limiter.execute(() => new Promise(() => {}));
    await flushMicrotasks();
    clock.advance(999);
    let settled = false;
    pending.catch(() => {
      settled = true;
    });
    await flushMicrotasks();
    assert.equal(settled, false);
    clock.advance(1);
    await assert.rejects(pending, (e: unknown) => e instanceof TimeoutError && e.code === 'MESH_ERR_TIMEOUT');
  });

  test('aborts the callee signal on timeout with the TimeoutError as reason', async () => {
    const { clock, limiter } = make(100);
    let seen: AbortSignal | undefined;
    const pending = limiter.execute(
      (ctx) =>
        new Promise((_resolve, reject) => {
          seen = ctx.signal;
          ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason));
        }),
    );
    await flushMicrotasks();
    clock.advance(100);
    await assert.rejects(pending, { code: 'MESH_ERR_TIMEOUT' });
    assert.equal(seen?.aborted, true);
    assert.ok(seen?.reason instanceof TimeoutError);
  });

  test('cancelRunningFuture false leaves the signal alone but still times out', async () => {
    const { clock, limiter } = make(100, false);
    let signal: AbortSignal | undefined;
    const pending = limiter.execute((ctx) => {
      signal = ctx.signal;
      return new Promise(() => {});
    });
    await flushMicrotasks();
    clock.advance(100);
    await assert.rejects(pending, { code: 'MESH_ERR_TIMEOUT' });
    assert.equal(signal?.aborted, false);
  });

  test('callee errors pass through unchanged', async () => {
    const { limiter } = make();
    const boom = new Error('boom');
    await assert.rejects(
      limiter.execute(async () => Promise.reject(boom)),
      boom,
    );
    await assert.rejects(
      limiter.execute(() => {
        throw boom;
      }),
      boom,
    );
  });

  test('never exceeds the caller deadline and fails fast when none is left', async () => {
    const { clock, limiter } = make(1000);
    const parent = new ExecutionContext();
    parent.deadline = 300;
    const pending = limiter.execute((ctx) => {
      assert.equal(ctx.deadline, 300);
      return new Promise(() => {});
    }, parent);
    await flushMicrotasks();
    clock.advance(300);
    await assert.rejects(pending, { code: 'MESH_ERR_TIMEOUT' });
    let called = false;
    await assert.rejects(
      limiter.execute(() => {
        called = true;
      }, parent),
      { code: 'MESH_ERR_TIMEOUT' },
    );
    assert.equal(called, false);
  });

  test('the signal follows the caller signal', async () => {
    const { limiter } = make();
    const controller = new AbortController();
    const pending = limiter.execute(
      (ctx) =>
        new Promise((_r, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason))),
      controller.signal,
    );
    await flushMicrotasks();
    controller.abort(new Error('client went away'));
    await assert.rejects(pending, /client went away/);
  });

  test('calls with the same deadline slot share one host timer', async () => {
    const { clock, wheel, limiter } = make(1000);
    const all = [1, 2, 3].map(() => limiter.execute(() => new Promise(() => {})));
    await flushMicrotasks();
    assert.equal(wheel.armedSlots, 1);
    assert.equal(clock.pendingTimers, 1);
    clock.advance(1000);
    for (const p of all) await assert.rejects(p, { code: 'MESH_ERR_TIMEOUT' });
  });

  test('a deadline that passes while the callee runs synchronously still times the call out', async () => {
    const { clock, limiter } = make(100);
    await assert.rejects(
      limiter.execute(async () => {
        clock.advance(150);
        return 'too late';
      }),
      { code: 'MESH_ERR_TIMEOUT' },
    );
  });

  test('a late answer after the timeout changes nothing and leaks no rejection', async () => {
    const { clock, limiter } = make(100);
    let finish: (v: string) => void = () => {};
    let fail: (e: Error) => void = () => {};
    const first = limiter.execute(() => new Promise<string>((resolve) => (finish = resolve)));
    const second = limiter.execute(() => new Promise<string>((_r, reject) => (fail = reject)));
    await flushMicrotasks();
    clock.advance(100);
    await assert.rejects(first, { code: 'MESH_ERR_TIMEOUT' });
    await assert.rejects(second, { code: 'MESH_ERR_TIMEOUT' });
    finish('late');
    fail(new Error('late failure'));
    await flushMicrotasks();
  });

  test('many concurrent calls each get their own outcome', async () => {
    const { clock, limiter } = make(100);
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) =>
        limiter.execute(async () => {
          if (i % 3 === 0) throw new Error(`fail ${i}`);
          return i;
        }),
      ),
    );
    results.forEach((r, i) => {
      if (i % 3 === 0) assert.equal(r.status === 'rejected' && (r.reason as Error).message, `fail ${i}`);
      else assert.equal(r.status === 'fulfilled' && r.value, i);
    });
    clock.advance(1000);
  });

  test('a misbehaving thenable that answers twice cannot settle another call', async () => {
    const { limiter } = make(1000);
    let answerAgain: (v: unknown) => void = () => {};
    const twice = {
      // biome-ignore lint/suspicious/noThenProperty: a deliberately misbehaving thenable.
      then(onFulfilled: (v: unknown) => void) {
        onFulfilled('first');
        answerAgain = onFulfilled;
      },
    };
    assert.equal(await limiter.execute(() => twice as unknown as Promise<string>), 'first');
    let release: (v: string) => void = () => {};
    const other = limiter.execute(() => new Promise<string>((resolve) => (release = resolve)));
    answerAgain('second');
    release('other');
    assert.equal(await other, 'other');
  });

  test('a non-function task rejects with a TypeError', async () => {
    const { limiter } = make();
    await assert.rejects(limiter.execute(42 as never), /fn must be a function, got 42/);
  });

  test('rejects bad config', () => {
    assert.throws(
      () => new TimeLimiter('t', { timeoutDurationMs: 0 }),
      (e: unknown) => e instanceof ConfigError && e.path === 'timeLimiter.timeoutDurationMs',
    );
  });
});
