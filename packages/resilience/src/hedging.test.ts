import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { flushMicrotasks, ManualClock } from './clock.js';
import type { ExecutionContext } from './context.js';
import { Fallback } from './fallback.js';
import { Hedging } from './hedging.js';

describe('Hedging', () => {
  test('starts a hedged attempt after delayMs, takes the first answer and aborts the loser', async () => {
    const clock = new ManualClock();
    const hedging = new Hedging('h', { maxHedgedAttempts: 1, delayMs: 50 }, { clock });
    const contexts: ExecutionContext[] = [];
    const resolvers: ((v: string) => void)[] = [];
    const pending = hedging.execute(
      (ctx) =>
        new Promise<string>((resolve) => {
          contexts.push(ctx);
          resolvers.push(resolve);
        }),
    );
    await flushMicrotasks();
    assert.equal(contexts.length, 1);
    clock.advance(50);
    assert.equal(contexts.length, 2);
    assert.deepEqual(
      contexts.map((c) => c.attempt),
      [1, 2],
    );
    resolvers[1]('second');
    assert.equal(await pending, 'second');
    assert.equal(contexts[0].aborted, true);
    assert.equal((contexts[0].abortReason as { code?: string }).code, 'MESH_ERR_ABORTED');
    assert.equal(contexts[1].aborted, false);
  });

  test('a failed attempt triggers the next one at once; all failing rejects with the last error', async () => {
    const clock = new ManualClock();
    const hedging = new Hedging('h', { maxHedgedAttempts: 2, delayMs: 10_000 }, { clock });
    let n = 0;
    const pending = hedging.execute(async () => {
      n++;
      throw new Error(`fail ${n}`);
    });
    await assert.rejects(pending, /fail 3/);
    assert.equal(clock.pendingTimers, 0);
  });

  test('errors outside handleExceptions end the run at once', async () => {
    const hedging = new Hedging('h', { maxHedgedAttempts: 3, delayMs: 10, handleExceptions: ['ECONNRESET'] });
    let n = 0;
    await assert.rejects(
      hedging.execute(async () => {
        n++;
        throw new TypeError('bug');
      }),
      TypeError,
    );
    assert.equal(n, 1);
  });
});

describe('Hedging config', () => {
  test('rejects bad values naming the field', () => {
    assert.throws(() => new Hedging('h', { delayMs: -1 }), /hedging\.delayMs: must be >= 0/);
    assert.throws(
      () => new Hedging('h', { maxHedgedAttempts: 1.5 }),
      /hedging\.maxHedgedAttempts: must be an integer/,
    );
    assert.throws(
      () => new Hedging('h', { handleError: 'yes' as never }),
      /hedging\.handleError: must be a function/,
    );
  });
});

describe('Fallback', () => {
  test('replaces handled errors and matching results, passes others through', async () => {
    const fallback = new Fallback({
      fallback: (error) => (error === undefined ? 'bad result' : 'fallback'),
      handleExceptions: ['ECONNREFUSED'],
      handleResult: (r) => r === 'unknown',
    });
    assert.equal(await fallback.execute(() => 'fine'), 'fine');
    assert.equal(
      await fallback.execute(() => Promise.reject(Object.assign(new Error(), { code: 'ECONNREFUSED' }))),
      'fallback',
    );
    assert.equal(await fallback.execute(() => 'unknown'), 'bad result');
    await assert.rejects(
      fallback.execute(() => Promise.reject(new TypeError('bug'))),
      TypeError,
    );
  });

  test('requires a fallback function', () => {
    assert.throws(() => new Fallback({} as never), /fallback\.fallback: must be a function/);
  });
});
