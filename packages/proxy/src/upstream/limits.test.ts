import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CircuitBreakerLimits, DEFAULT_LIMIT_THRESHOLDS } from './limits.js';

describe('CircuitBreakerLimits', () => {
  test('uses Envoy defaults 1024/1024/1024/3', () => {
    const limits = new CircuitBreakerLimits('DEFAULT');
    assert.deepEqual(
      [limits.maxConnections, limits.maxPendingRequests, limits.maxRequests, limits.maxRetries],
      [1024, 1024, 1024, 3],
    );
    assert.equal(DEFAULT_LIMIT_THRESHOLDS.maxRetries, 3);
  });

  test('refuses past the limit and counts each overflow', () => {
    const limits = new CircuitBreakerLimits('DEFAULT', {
      maxConnections: 1,
      maxPendingRequests: 2,
      maxRequests: 1,
      maxRetries: 0,
    });
    assert.equal(limits.tryAcquireRequest(), true);
    assert.equal(limits.tryAcquireRequest(), false);
    assert.equal(limits.tryAcquireRequest(), false);
    assert.equal(limits.tryAcquirePending(), true);
    assert.equal(limits.tryAcquirePending(), true);
    assert.equal(limits.tryAcquirePending(), false);
    assert.equal(limits.tryAcquireRetry(), false);
    assert.equal(limits.tryAcquireConnection(), true);
    assert.equal(limits.tryAcquireConnection(), false);
    assert.deepEqual(limits.overflows, { requests: 2, pendingRequests: 1, retries: 1, connections: 1 });
  });

  test('a released slot can be acquired again', () => {
    const limits = new CircuitBreakerLimits('HIGH', { ...DEFAULT_LIMIT_THRESHOLDS, maxRetries: 1 });
    assert.equal(limits.tryAcquireRetry(), true);
    assert.equal(limits.tryAcquireRetry(), false);
    limits.releaseRetry();
    assert.equal(limits.tryAcquireRetry(), true);
    assert.equal(limits.retries, 1);
  });

  test('release never goes below zero', () => {
    const limits = new CircuitBreakerLimits('DEFAULT');
    limits.releaseRequest();
    limits.releaseConnection();
    assert.equal(limits.requests, 0);
    assert.equal(limits.connections, 0);
  });

  test('new thresholds keep the counts in flight', () => {
    const limits = new CircuitBreakerLimits('DEFAULT', { ...DEFAULT_LIMIT_THRESHOLDS, maxRequests: 5 });
    for (let i = 0; i < 3; i++) assert.equal(limits.tryAcquireRequest(), true);
    limits.setThresholds({ ...DEFAULT_LIMIT_THRESHOLDS, maxRequests: 3 });
    assert.equal(limits.requests, 3);
    assert.equal(limits.tryAcquireRequest(), false);
  });
  test('a retry budget allows max(min_retry_concurrency, budget_percent of active + pending)', () => {
    const limits = new CircuitBreakerLimits('DEFAULT', {
      ...DEFAULT_LIMIT_THRESHOLDS,
      maxRetries: 0, // ignored while a budget is set, as in Envoy
      retryBudget: { budgetPercent: 20, minRetryConcurrency: 2 },
    });
    // 5 active requests: 20 % is 1, so the floor of 2 applies.
    for (let i = 0; i < 5; i++) limits.tryAcquireRequest();
    assert.equal(limits.retryLimit(), 2);
    assert.equal(limits.tryAcquireRetry(), true);
    assert.equal(limits.tryAcquireRetry(), true);
    assert.equal(limits.tryAcquireRetry(), false);
    assert.equal(limits.overflows.retries, 1);
    // 15 active + 5 pending: 20 % of 20 is 4.
    for (let i = 0; i < 10; i++) limits.tryAcquireRequest();
    for (let i = 0; i < 5; i++) limits.tryAcquirePending();
    assert.equal(limits.retryLimit(), 4);
    assert.equal(limits.tryAcquireRetry(), true);
    assert.equal(limits.tryAcquireRetry(), true);
    assert.equal(limits.tryAcquireRetry(), false);
    assert.equal(limits.overflows.retries, 2);
    // Fractions round down: 20 % of 24 is 4.8 → 4.
    for (let i = 0; i < 4; i++) limits.tryAcquireRequest();
    assert.equal(limits.retryLimit(), 4);
  });

  test('without a budget the limit is max_retries; a pushed budget replaces it', () => {
    const limits = new CircuitBreakerLimits('DEFAULT', { ...DEFAULT_LIMIT_THRESHOLDS, maxRetries: 1 });
    for (let i = 0; i < 100; i++) limits.tryAcquireRequest();
    assert.equal(limits.retryLimit(), 1);
    limits.setThresholds({
      ...DEFAULT_LIMIT_THRESHOLDS,
      retryBudget: { budgetPercent: 50, minRetryConcurrency: 3 },
    });
    assert.equal(limits.retryLimit(), 50);
    limits.setThresholds(DEFAULT_LIMIT_THRESHOLDS);
    assert.equal(limits.retryLimit(), 3);
  });
});
