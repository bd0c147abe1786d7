import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Bulkhead } from './bulkhead.js';
import { CircuitBreaker } from './circuit-breaker.js';
import { flushMicrotasks, ManualClock } from './clock.js';
import { BulkheadFullError, ConfigError } from './errors.js';

/** A task that stays running until `release()` is called. */
function gate() {
  let open: () => void = () => {};
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { task: () => promise, release: () => open() };
}

describe('Bulkhead', () => {
  test('admits maxConcurrentCalls and rejects the next at once when maxWaitDurationMs is 0', async () => {
    const bulkhead = new Bulkhead('b', { maxConcurrentCalls: 2 });
    const g = gate();
    const running = [bulkhead.execute(g.task), bulkhead.execute(g.task)];
    await assert.rejects(
      bulkhead.execute(async () => 1),
      (e: unknown) => e instanceof BulkheadFullError && e.code === 'MESH_ERR_BULKHEAD_FULL',
    );
    assert.equal(bulkhead.availableConcurrentCalls, 0);
    g.release();
    await Promise.all(running);
    assert.equal(bulkhead.availableConcurrentCalls, 2);
  });

  test('a waiter gets the slot in FIFO order when one frees up within maxWaitDurationMs', async () => {
    const clock = new ManualClock();
    const bulkhead = new Bulkhead('b', { maxConcurrentCalls: 1, maxWaitDurationMs: 50 }, { clock });
    const g = gate();
    const first = bulkhead.execute(g.task);
    const order: number[] = [];
    const second = bulkhead.execute(async () => order.push(2));
    const third = bulkhead.execute(async () => order.push(3));
    assert.equal(bulkhead.queueDepth, 2);
    clock.advance(49);
    g.release();
    await Promise.all([first, second, third]);
    assert.deepEqual(order, [2, 3]);
    assert.equal(bulkhead.availableConcurrentCalls, 1);
  });

  test('a waiter is rejected after maxWaitDurationMs', async () => {
    const clock = new ManualClock();
    const bulkhead = new Bulkhead('b', { maxConcurrentCalls: 1, maxWaitDurationMs: 50 }, { clock });
    const g = gate();
    const first = bulkhead.execute(g.task);
    const waiting = bulkhead.execute(async () => 1);
    clock.advance(50);
    await assert.rejects(waiting, { code: 'MESH_ERR_BULKHEAD_FULL' });
    assert.equal(bulkhead.queueDepth, 0);
    g.release();
    await first;
  });

  test('a cancelled waiter leaves the queue and the next waiter still gets the slot', async () => {
    const bulkhead = new Bulkhead('b', { maxConcurrentCalls: 1, maxWaitDurationMs: Infinity });
    const g = gate();
    const first = bulkhead.execute(g.task);
    const controller = new AbortController();
    const cancelled = bulkhead.execute(async () => 'never', controller.signal);
    const patient = bulkhead.execute(async () => 'served');
    controller.abort();
    await assert.rejects(cancelled, { code: 'MESH_ERR_ABORTED' });
    assert.equal(bulkhead.queueDepth, 1);
    g.release();
    assert.equal(await patient, 'served');
    await first;
    assert.equal(bulkhead.availableConcurrentCalls, 1);
  });

  test('the bounded queue rejects callers beyond maxQueueSize', async () => {
    const bulkhead = new Bulkhead('b', {
      maxConcurrentCalls: 1,
      maxWaitDurationMs: Infinity,
      maxQueueSize: 1,
    });
    const g = gate();
    const first = bulkhead.execute(g.task);
    const queued = bulkhead.execute(async () => 'queued');
    await assert.rejects(
      bulkhead.execute(async () => 1),
      /queue of 1 is full/,
    );
    g.release();
    assert.equal(await queued, 'queued');
    await first;
  });

  test('the slot is released when the call throws', async () => {
    const bulkhead = new Bulkhead('b', { maxConcurrentCalls: 1 });
    await assert.rejects(
      bulkhead.execute(() => {
        throw new Error('sync');
      }),
    );
    await assert.rejects(bulkhead.execute(async () => Promise.reject(new Error('async'))));
    assert.equal(bulkhead.availableConcurrentCalls, 1);
  });

  test('the synchronous fast path never waits and never over-releases', () => {
    const bulkhead = new Bulkhead('b', { maxConcurrentCalls: 1 });
    assert.ok(bulkhead.tryAcquirePermission());
    assert.equal(bulkhead.tryAcquirePermission(), false);
    bulkhead.releasePermission();
    bulkhead.releasePermission();
    assert.equal(bulkhead.availableConcurrentCalls, 1);
  });

  test('rejections are not counted as downstream failures by a breaker', async () => {
    const breaker = new CircuitBreaker('cb', { slidingWindowSize: 1, minimumNumberOfCalls: 1 });
    const bulkhead = new Bulkhead('b', { maxConcurrentCalls: 1 });
    const g = gate();
    const first = bulkhead.execute(g.task);
    await assert.rejects(
      breaker.execute(() => bulkhead.execute(async () => 1)),
      { code: 'MESH_ERR_BULKHEAD_FULL' },
    );
    assert.equal(breaker.state, 'CLOSED');
    assert.equal(breaker.metrics.numberOfFailedCalls, 0);
    g.release();
    await first;
    await flushMicrotasks();
  });

  test('many waiters without a caller signal add no abort listeners (no leak warning)', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    try {
      const bulkhead = new Bulkhead('b', { maxConcurrentCalls: 1, maxWaitDurationMs: Infinity });
      const g = gate();
      const all = [
        bulkhead.execute(g.task),
        ...Array.from({ length: 30 }, () => bulkhead.execute(async () => 1)),
      ];
      await flushMicrotasks();
      g.release();
      await Promise.all(all);
      await flushMicrotasks();
      assert.deepEqual(warnings, []);
    } finally {
      process.off('warning', onWarning);
    }
  });

  test('rejects bad config naming the field', () => {
    assert.throws(
      () => new Bulkhead('b', { maxConcurrentCalls: 0 }),
      (e: unknown) => e instanceof ConfigError && e.path === 'bulkhead.maxConcurrentCalls',
    );
  });
});
