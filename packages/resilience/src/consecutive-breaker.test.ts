import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ManualClock } from './clock.js';
import { ConsecutiveBreaker, type ConsecutiveBreakerConfig } from './consecutive-breaker.js';
import { ConfigError } from './errors.js';

const boom = new Error('boom');

function make(config: ConsecutiveBreakerConfig) {
  const clock = new ManualClock();
  const breaker = new ConsecutiveBreaker('c', config, { clock });
  const transitions: string[] = [];
  breaker.events.on('STATE_TRANSITION', (e) => transitions.push(`${e.from}>${e.to}`));
  const fail = () => {
    assert.ok(breaker.tryAcquirePermission());
    breaker.onError(1, boom);
  };
  const succeed = () => {
    assert.ok(breaker.tryAcquirePermission());
    breaker.onSuccess(1);
  };
  return { clock, breaker, transitions, fail, succeed };
}

describe('ConsecutiveBreaker (classic counting breaker)', () => {
  test('opens after failureThreshold consecutive failures; a success resets the count', () => {
    const { breaker, fail, succeed } = make({ failureThreshold: 3 });
    fail();
    fail();
    succeed();
    fail();
    fail();
    assert.equal(breaker.state, 'CLOSED');
    fail();
    assert.equal(breaker.state, 'OPEN');
    assert.equal(breaker.tryAcquirePermission(), false);
  });

  test('5 failures within 30 s open; 30 s later half-open; 3 successes close', () => {
    const { clock, breaker, transitions, fail, succeed } = make({
      failureThreshold: 5,
      failureWindowMs: 30_000,
      timeoutMs: 30_000,
      successThreshold: 3,
    });
    for (let i = 0; i < 4; i++) {
      fail();
      clock.advance(10_000);
    }
    fail(); // five failures over 40 s: the oldest is outside the window
    assert.equal(breaker.state, 'CLOSED');
    succeed(); // successes do not reset a windowed count
    clock.advance(1000);
    fail(); // the last five are at 10, 20, 30, 40, 41 s: spread over 31 s
    assert.equal(breaker.state, 'CLOSED');
    fail(); // 20, 30, 40, 41, 41 s: five within 30 s
    assert.equal(breaker.state, 'OPEN');
    clock.advance(29_999);
    assert.equal(breaker.tryAcquirePermission(), false);
    clock.advance(1);
    succeed();
    assert.equal(breaker.state, 'HALF_OPEN');
    succeed();
    succeed();
    assert.equal(breaker.state, 'CLOSED');
    assert.deepEqual(transitions, ['CLOSED>OPEN', 'OPEN>HALF_OPEN', 'HALF_OPEN>CLOSED']);
  });

  test('any failure in HALF_OPEN reopens for another full timeout', () => {
    const { clock, breaker, fail, succeed } = make({
      failureThreshold: 1,
      successThreshold: 3,
      timeoutMs: 1000,
    });
    fail();
    clock.advance(1000);
    succeed();
    succeed();
    fail();
    assert.equal(breaker.state, 'OPEN');
    clock.advance(999);
    assert.equal(breaker.tryAcquirePermission(), false);
    clock.advance(1);
    assert.ok(breaker.tryAcquirePermission());
  });

  test('execute rejects with MESH_ERR_CIRCUIT_OPEN while open', async () => {
    const { breaker } = make({ failureThreshold: 1 });
    await assert.rejects(
      breaker.execute(() => Promise.reject(boom)),
      boom,
    );
    await assert.rejects(
      breaker.execute(() => 1),
      { code: 'MESH_ERR_CIRCUIT_OPEN' },
    );
  });

  test('rejects bad config', () => {
    assert.throws(
      () => new ConsecutiveBreaker('c', { failureThreshold: 0 }),
      (e: unknown) => e instanceof ConfigError && e.path === 'circuitBreaker.failureThreshold',
    );
  });
});
