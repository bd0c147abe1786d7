import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ManualClock } from './clock.js';
import { ConfigError, RequestNotPermittedError } from './errors.js';
import { RateLimiter } from './rate-limiter.js';
import { TokenBucket } from './token-bucket.js';

describe('RateLimiter (Resilience4j cycles)', () => {
  test('grants limitForPeriod permissions per refresh period', () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter(
      'r',
      { limitForPeriod: 2, limitRefreshPeriodMs: 1000, timeoutDurationMs: 0 },
      { clock },
    );
    assert.ok(limiter.tryAcquirePermission());
    assert.ok(limiter.tryAcquirePermission());
    assert.equal(limiter.tryAcquirePermission(), false);
    clock.advance(999);
    assert.equal(limiter.tryAcquirePermission(), false);
    clock.advance(1);
    assert.ok(limiter.tryAcquirePermission());
    clock.advance(10_000);
    assert.equal(limiter.availablePermissions, 2, 'unused permissions do not accumulate beyond the limit');
  });

  test('reservePermission returns the wait to the next cycle, or -1 beyond the timeout', () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter(
      'r',
      { limitForPeriod: 1, limitRefreshPeriodMs: 1000, timeoutDurationMs: 1500 },
      { clock },
    );
    assert.equal(limiter.reservePermission(), 0);
    clock.advance(200);
    assert.equal(limiter.reservePermission(), 800);
    assert.equal(limiter.reservePermission(), -1, 'the next free slot is 1800 ms away');
    assert.equal(limiter.availablePermissions, -1);
  });

  test('execute waits for a reserved permission and rejects with MESH_ERR_RATE_LIMITED otherwise', async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter(
      'r',
      { limitForPeriod: 1, limitRefreshPeriodMs: 100, timeoutDurationMs: 100 },
      { clock },
    );
    assert.equal(await limiter.execute(() => 'first'), 'first');
    let ran = false;
    const waiting = limiter.execute(() => {
      ran = true;
      return 'second';
    });
    await assert.rejects(
      limiter.execute(() => 'third'),
      (e: unknown) => e instanceof RequestNotPermittedError && e.code === 'MESH_ERR_RATE_LIMITED',
    );
    assert.equal(ran, false);
    await clock.advanceAsync(100);
    assert.equal(await waiting, 'second');
  });

  test('rejects bad config', () => {
    assert.throws(
      () => new RateLimiter('r', { limitForPeriod: 0 }),
      (e: unknown) => e instanceof ConfigError && e.path === 'rateLimiter.limitForPeriod',
    );
  });
});

describe('TokenBucket', () => {
  test('allows a burst of capacity, then refillPerSecond', () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket('t', { capacity: 3, refillPerSecond: 2 }, { clock });
    assert.ok(bucket.tryAcquirePermission());
    assert.ok(bucket.tryAcquirePermission());
    assert.ok(bucket.tryAcquirePermission());
    assert.equal(bucket.tryAcquirePermission(), false);
    clock.advance(499);
    assert.equal(bucket.tryAcquirePermission(), false);
    clock.advance(1);
    assert.ok(bucket.tryAcquirePermission());
    clock.advance(60_000);
    assert.equal(bucket.availableTokens, 3);
  });

  test('reservePermission says how long to wait for the tokens', () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket(
      't',
      { capacity: 2, refillPerSecond: 10, timeoutDurationMs: 1000 },
      { clock },
    );
    assert.equal(bucket.reservePermission(2), 0);
    assert.equal(bucket.reservePermission(1), 100);
    assert.equal(bucket.reservePermission(2), 300);
    assert.equal(bucket.tryAcquirePermission(), false);
  });

  test('fractional refill rates do not lose tokens to rounding', () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket('t', { capacity: 1, refillPerSecond: 3 }, { clock });
    for (let i = 0; i < 30; i++) {
      assert.ok(bucket.tryAcquirePermission(), `token ${i}`);
      clock.advance(1000 / 3);
    }
  });

  test('rejects bad config and impossible requests', () => {
    assert.throws(() => new TokenBucket('t', { refillPerSecond: 0 }), /tokenBucket\.refillPerSecond/);
    assert.throws(() => new TokenBucket('t', { capacity: 2 }).tryAcquirePermission(3), /capacity/);
  });
});
