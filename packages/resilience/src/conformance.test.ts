import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Bulkhead } from './bulkhead.js';
import { CircuitBreaker } from './circuit-breaker.js';
import type { CircuitBreakerEvent, CircuitBreakerLike } from './circuit-breaker-types.js';
import { flushMicrotasks, ManualClock } from './clock.js';
import { ConsecutiveBreaker } from './consecutive-breaker.js';
import type { Policy } from './context.js';
import { BulkheadFullError } from './errors.js';
import type { EventPublisher } from './events.js';
import { Fallback } from './fallback.js';
import { Hedging } from './hedging.js';
import { RateLimiter, type RateLimiterLike } from './rate-limiter.js';
import { Retry } from './retry.js';
import { TimeLimiter } from './time-limiter.js';
import { TimerWheel } from './timer-wheel.js';
import { TokenBucket } from './token-bucket.js';
import { wrap } from './wrap.js';

// One suite per pluggable family, run against every implementation.

type Breaker = CircuitBreakerLike & Policy & { events: EventPublisher<CircuitBreakerEvent>; reset(): void };

/** Each factory: opens after one failure, half-opens after 1000 ms, closes after one success. */
const breakers: Record<string, (clock: ManualClock) => Breaker> = {
  CircuitBreaker: (clock) =>
    new CircuitBreaker(
      'conformance',
      {
        slidingWindowSize: 1,
        minimumNumberOfCalls: 1,
        waitDurationInOpenStateMs: 1000,
        permittedNumberOfCallsInHalfOpenState: 1,
      },
      { clock },
    ),
  ConsecutiveBreaker: (clock) =>
    new ConsecutiveBreaker(
      'conformance',
      { failureThreshold: 1, timeoutMs: 1000, successThreshold: 1 },
      { clock },
    ),
};

for (const [name, create] of Object.entries(breakers)) {
  describe(`circuit breaker conformance: ${name}`, () => {
    function setup() {
      const clock = new ManualClock();
      const breaker = create(clock);
      const transitions: string[] = [];
      breaker.events.on('STATE_TRANSITION', (e) => transitions.push(`${e.from}>${e.to}`));
      return { clock, breaker, transitions };
    }

    test('starts CLOSED and permits calls', async () => {
      const { breaker } = setup();
      assert.equal(breaker.state, 'CLOSED');
      assert.ok(breaker.tryAcquirePermission());
      assert.equal(await breaker.execute(() => 'ok'), 'ok');
    });

    test('opens on failure and then refuses without calling the function', async () => {
      const { breaker } = setup();
      await assert.rejects(
        breaker.execute(() => Promise.reject(new Error('down'))),
        /down/,
      );
      assert.equal(breaker.state, 'OPEN');
      assert.equal(breaker.tryAcquirePermission(), false);
      assert.throws(() => breaker.acquirePermission(), { code: 'MESH_ERR_CIRCUIT_OPEN' });
      let called = false;
      await assert.rejects(
        breaker.execute(() => {
          called = true;
        }),
        { code: 'MESH_ERR_CIRCUIT_OPEN' },
      );
      assert.equal(called, false);
    });

    test('half-opens after the wait; a successful probe closes, a failed one reopens', () => {
      const { clock, breaker, transitions } = setup();
      assert.ok(breaker.tryAcquirePermission());
      breaker.onError(1, new Error('down'));
      clock.advance(1000);
      assert.ok(breaker.tryAcquirePermission());
      assert.equal(breaker.state, 'HALF_OPEN');
      breaker.onError(1, new Error('still down'));
      assert.equal(breaker.state, 'OPEN');
      clock.advance(1000);
      assert.ok(breaker.tryAcquirePermission());
      breaker.onSuccess(1);
      assert.equal(breaker.state, 'CLOSED');
      assert.deepEqual(transitions, [
        'CLOSED>OPEN',
        'OPEN>HALF_OPEN',
        'HALF_OPEN>OPEN',
        'OPEN>HALF_OPEN',
        'HALF_OPEN>CLOSED',
      ]);
    });

    test('local rejections are not failures', () => {
      const { breaker } = setup();
      assert.ok(breaker.tryAcquirePermission());
      breaker.onError(1, new BulkheadFullError('b', 'full'));
      assert.equal(breaker.state, 'CLOSED');
    });

    test('publishes SUCCESS and ERROR for recorded calls', () => {
      const { breaker } = setup();
      const types: string[] = [];
      breaker.events.onEvent((e) => types.push(e.type));
      assert.ok(breaker.tryAcquirePermission());
      breaker.onSuccess(1);
      assert.ok(breaker.tryAcquirePermission());
      breaker.onError(1, new Error('down'));
      assert.deepEqual(types.slice(0, 2), ['SUCCESS', 'ERROR']);
    });

    test('reset closes an open breaker', () => {
      const { breaker } = setup();
      assert.ok(breaker.tryAcquirePermission());
      breaker.onError(1, new Error('down'));
      breaker.reset();
      assert.equal(breaker.state, 'CLOSED');
      assert.ok(breaker.tryAcquirePermission());
    });
  });
}

/** Each factory: two permits, refreshed within one second, no waiting. */
const limiters: Record<string, (clock: ManualClock) => RateLimiterLike> = {
  RateLimiter: (clock) =>
    new RateLimiter(
      'conformance',
      { limitForPeriod: 2, limitRefreshPeriodMs: 1000, timeoutDurationMs: 0 },
      { clock },
    ),
  TokenBucket: (clock) => new TokenBucket('conformance', { capacity: 2, refillPerSecond: 2 }, { clock }),
};

for (const [name, create] of Object.entries(limiters)) {
  describe(`rate limiter conformance: ${name}`, () => {
    test('grants the burst, then refuses until refilled', () => {
      const clock = new ManualClock();
      const limiter = create(clock);
      assert.ok(limiter.tryAcquirePermission());
      assert.ok(limiter.tryAcquirePermission());
      assert.equal(limiter.tryAcquirePermission(), false);
      assert.equal(limiter.reservePermission(), -1, 'no waiting allowed');
      clock.advance(1000);
      assert.ok(limiter.tryAcquirePermission());
    });

    test('publishes SUCCESSFUL_ACQUIRE and FAILED_ACQUIRE', () => {
      const limiter = create(new ManualClock());
      const types: string[] = [];
      limiter.events.onEvent((e) => types.push(`${e.type}:${e.permits}`));
      limiter.tryAcquirePermission(2);
      limiter.tryAcquirePermission();
      assert.deepEqual(types, ['SUCCESSFUL_ACQUIRE:2', 'FAILED_ACQUIRE:1']);
    });

    test('execute rejects with MESH_ERR_RATE_LIMITED without calling the function', async () => {
      const clock = new ManualClock();
      const limiter = create(clock);
      await limiter.execute(() => 1);
      await limiter.execute(() => 2);
      let called = false;
      await assert.rejects(
        limiter.execute(() => {
          called = true;
        }),
        { code: 'MESH_ERR_RATE_LIMITED' },
      );
      assert.equal(called, false);
    });
  });
}

/** Every policy, configured so that it lets a single healthy call through untouched. */
const policies: Record<string, (clock: ManualClock) => Policy> = {
  CircuitBreaker: (clock) => new CircuitBreaker('p', {}, { clock }),
  ConsecutiveBreaker: (clock) => new ConsecutiveBreaker('p', {}, { clock }),
  Retry: (clock) => new Retry('p', { maxAttempts: 1 }, { clock }),
  Bulkhead: (clock) => new Bulkhead('p', {}, { clock }),
  TimeLimiter: (clock) =>
    new TimeLimiter('p', { timeoutDurationMs: 1000 }, { clock, wheel: new TimerWheel(clock) }),
  RateLimiter: (clock) => new RateLimiter('p', {}, { clock }),
  TokenBucket: (clock) => new TokenBucket('p', {}, { clock }),
  Hedging: (clock) => new Hedging('p', { maxHedgedAttempts: 0 }, { clock }),
  Fallback: () => new Fallback({ fallback: () => 'fallback', handleExceptions: ['NEVER_THROWN'] }),
  wrap: (clock) =>
    wrap(new Retry('p', { maxAttempts: 1 }, { clock }), new CircuitBreaker('p', {}, { clock })),
};

for (const [name, create] of Object.entries(policies)) {
  describe(`policy conformance: ${name}`, () => {
    test('returns the value and passes a context with attempt 1', async () => {
      const policy = create(new ManualClock());
      assert.equal(await policy.execute((ctx) => `attempt ${ctx.attempt}`), 'attempt 1');
      assert.equal(await policy.execute(() => 'sync value'), 'sync value');
    });

    test('passes errors through unchanged', async () => {
      const policy = create(new ManualClock());
      const error = new Error('downstream');
      await assert.rejects(
        policy.execute(() => Promise.reject(error)),
        (e: unknown) => e === error,
      );
    });

    test("the callee's signal follows the caller's signal", async () => {
      const policy = create(new ManualClock());
      const controller = new AbortController();
      let seen: AbortSignal | undefined;
      const pending = policy.execute((ctx) => {
        seen = ctx.signal;
        return new Promise((_resolve, reject) =>
          ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)),
        );
      }, controller.signal);
      await flushMicrotasks();
      controller.abort(new Error('caller gone'));
      await assert.rejects(pending, /caller gone/);
      assert.equal(seen?.aborted, true);
    });
  });
}
