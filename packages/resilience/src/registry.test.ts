import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Bulkhead } from './bulkhead.js';
import { CircuitBreaker } from './circuit-breaker.js';
import { ManualClock } from './clock.js';
import { ConsecutiveBreaker } from './consecutive-breaker.js';
import { ConfigError } from './errors.js';
import { PolicyRegistry } from './registry.js';
import { TokenBucket } from './token-bucket.js';
import type { PolicyWrap } from './wrap.js';

describe('PolicyRegistry', () => {
  test('builds named instances over the default config and caches them', () => {
    const registry = new PolicyRegistry({
      circuitBreaker: {
        configs: { default: { slidingWindowSize: 10, failureRateThreshold: 50 } },
        instances: { inventory: { failureRateThreshold: 25 } },
      },
    });
    const breaker = registry.circuitBreaker('inventory') as CircuitBreaker;
    assert.ok(breaker instanceof CircuitBreaker);
    assert.equal(breaker.config.failureRateThreshold, 25);
    assert.equal(breaker.config.slidingWindowSize, 10);
    assert.equal(registry.circuitBreaker('inventory'), breaker);
    const other = registry.circuitBreaker('payments') as CircuitBreaker;
    assert.equal(other.config.slidingWindowSize, 10, 'unlisted names get the default config');
    assert.deepEqual(
      [...registry.entries()].map((e) => `${e.kind}/${e.name}`),
      ['circuitBreaker/inventory', 'circuitBreaker/payments'],
    );
  });

  test('baseConfig selects a shared config; type selects the breaker and limiter kind', () => {
    const registry = new PolicyRegistry({
      circuitBreaker: {
        configs: { strict: { type: 'CONSECUTIVE', failureThreshold: 5, timeoutMs: 30_000 } },
        instances: { users: { baseConfig: 'strict', successThreshold: 3 } },
      },
      rateLimiter: { instances: { api: { type: 'TOKEN_BUCKET', capacity: 20, refillPerSecond: 10 } } },
    });
    const users = registry.circuitBreaker('users') as ConsecutiveBreaker;
    assert.ok(users instanceof ConsecutiveBreaker);
    assert.equal(users.successThreshold, 3);
    assert.equal(users.failureThreshold, 5);
    assert.ok(registry.rateLimiter('api') instanceof TokenBucket);
  });

  test('the default config applies only to instances of its own type', () => {
    const registry = new PolicyRegistry({
      circuitBreaker: {
        configs: { default: { slidingWindowSize: 10 } },
        instances: { users: { type: 'CONSECUTIVE', failureThreshold: 5 }, inventory: {} },
      },
    });
    assert.ok(registry.circuitBreaker('users') instanceof ConsecutiveBreaker);
    assert.equal((registry.circuitBreaker('inventory') as CircuitBreaker).config.slidingWindowSize, 10);
  });

  test('pipeline wraps the configured policies of a name in the recommended order', async () => {
    const clock = new ManualClock();
    const registry = new PolicyRegistry(
      {
        retry: { instances: { inventory: { maxAttempts: 2, waitDurationMs: 0 } } },
        circuitBreaker: { instances: { inventory: { slidingWindowSize: 5 } } },
        bulkhead: { instances: { inventory: { maxConcurrentCalls: 10, maxWaitDurationMs: 50 } } },
      },
      { clock },
    );
    const pipeline = registry.pipeline('inventory') as PolicyWrap;
    assert.deepEqual(
      pipeline.policies.map((p) => p.constructor.name),
      ['Retry', 'CircuitBreaker', 'Bulkhead'],
    );
    assert.ok(pipeline.policies[2] instanceof Bulkhead);
    let calls = 0;
    const result = await pipeline.execute(async () => {
      if (++calls === 1) throw new Error('transient');
      return 'ok';
    });
    assert.equal(result, 'ok');
    assert.throws(() => registry.pipeline('nothing'), /no policy is configured/);
  });

  test('the README example loads and builds its pipeline', () => {
    const registry = new PolicyRegistry({
      circuitBreaker: {
        configs: {
          default: { slidingWindowSize: 10, failureRateThreshold: 50, waitDurationInOpenStateMs: 30_000 },
        },
        instances: {
          inventory: { permittedNumberOfCallsInHalfOpenState: 3 },
          users: {
            type: 'CONSECUTIVE',
            failureThreshold: 5,
            failureWindowMs: 30_000,
            timeoutMs: 30_000,
            successThreshold: 3,
          },
        },
      },
      retry: {
        instances: { inventory: { maxAttempts: 3, waitDurationMs: 500, retryExceptions: ['ECONNRESET'] } },
      },
      bulkhead: { instances: { inventory: { maxConcurrentCalls: 10, maxWaitDurationMs: 50 } } },
      timeLimiter: { instances: { inventory: { timeoutDurationMs: 2000 } } },
      rateLimiter: { instances: { partner: { type: 'TOKEN_BUCKET', capacity: 20, refillPerSecond: 10 } } },
    });
    assert.deepEqual(
      (registry.pipeline('inventory') as PolicyWrap).policies.map((p) => p.constructor.name),
      ['Retry', 'CircuitBreaker', 'Bulkhead', 'TimeLimiter'],
    );
  });

  test('update keeps unchanged policies (and their state), rebuilds changed ones, and refuses bad config', () => {
    const clock = new ManualClock();
    const config = {
      circuitBreaker: {
        instances: { inventory: { slidingWindowSize: 1 }, payments: { slidingWindowSize: 1 } },
      },
    };
    const registry = new PolicyRegistry(config, { clock });
    const inventory = registry.circuitBreaker('inventory') as CircuitBreaker;
    assert.ok(inventory.tryAcquirePermission());
    inventory.onError(1, new Error('down'));
    assert.equal(inventory.state, 'OPEN');
    const payments = registry.circuitBreaker('payments');
    registry.update({
      circuitBreaker: {
        instances: { inventory: { slidingWindowSize: 1 }, payments: { slidingWindowSize: 5 } },
      },
    });
    assert.equal(registry.circuitBreaker('inventory'), inventory, 'unchanged config keeps the instance');
    assert.equal(inventory.state, 'OPEN');
    assert.notEqual(registry.circuitBreaker('payments'), payments);
    assert.equal((registry.circuitBreaker('payments') as CircuitBreaker).config.slidingWindowSize, 5);
    assert.throws(
      () => registry.update({ circuitBreaker: { instances: { inventory: { slidingWindowSize: -1 } } } }),
      /circuitBreaker\.instances\.inventory\.slidingWindowSize/,
    );
    assert.equal(
      registry.circuitBreaker('inventory'),
      inventory,
      'a bad update leaves the old config in force',
    );
    assert.equal((registry.circuitBreaker('payments') as CircuitBreaker).config.slidingWindowSize, 5);
  });

  test('a bad value fails at load and names its full path', () => {
    assert.throws(
      () => new PolicyRegistry({ retry: { instances: { inventory: { maxAttempts: -1 } } } }),
      (e: unknown) => e instanceof ConfigError && e.path === 'retry.instances.inventory.maxAttempts',
    );
    assert.throws(
      () =>
        new PolicyRegistry({
          circuitBreaker: { configs: { default: { slidingWindowSize: 'ten' as never } } },
        }),
      /circuitBreaker\.configs\.default\.slidingWindowSize: must be a number, got "ten"/,
    );
    assert.throws(
      () => new PolicyRegistry({ bulkhead: { instances: { a: { baseConfig: 'missing' } } } }),
      /bulkhead\.instances\.a\.baseConfig: names no entry/,
    );
    assert.throws(
      () => new PolicyRegistry({ circuitbreaker: {} } as never),
      /circuitbreaker: unknown setting/,
    );
    assert.throws(
      () => new PolicyRegistry({ timeLimiter: { instances: { a: { timeoutDuration: 5 } as never } } }),
      /timeLimiter\.instances\.a\.timeoutDuration: unknown setting/,
    );
  });
});
