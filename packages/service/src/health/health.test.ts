import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { aggregateStatus, checkAll, type HealthIndicator, httpStatusOf, pingIndicator } from './health.js';
import { Probes } from './probes.js';

const up = (name: string, groups: ('liveness' | 'readiness')[] = ['readiness']): HealthIndicator => ({
  name,
  groups,
  check: () => ({ status: 'UP' }),
});
const down = (name: string, critical?: boolean): HealthIndicator => ({
  name,
  critical,
  check: () => {
    throw new Error(`${name} refused`);
  },
});

describe('health aggregation', () => {
  test('any DOWN makes the aggregate DOWN, DEGRADED beats UP, UNKNOWN is lowest', () => {
    assert.equal(aggregateStatus(['UP', 'DEGRADED', 'DOWN']), 'DOWN');
    assert.equal(aggregateStatus(['UP', 'DEGRADED']), 'DEGRADED');
    assert.equal(aggregateStatus(['UNKNOWN', 'UP']), 'UP');
    assert.equal(aggregateStatus([]), 'UP');
    assert.equal(httpStatusOf('DOWN'), 503);
    assert.equal(httpStatusOf('DEGRADED'), 200);
  });

  test('a throwing indicator reports DOWN with the error in details', async () => {
    const health = await checkAll([up('db'), down('inventory')]);
    assert.equal(health.status, 'DOWN');
    assert.equal(health.components?.db.status, 'UP');
    assert.match(String(health.components?.inventory.details?.error), /inventory refused/);
  });

  test('a non-critical dependency that is DOWN degrades instead of failing', async () => {
    const health = await checkAll([up('db'), down('recommendations', false)]);
    assert.equal(health.status, 'DEGRADED');
    assert.equal(health.components?.recommendations.status, 'DEGRADED');
  });

  test('an indicator slower than its timeout is DOWN and its signal is aborted', async () => {
    let aborted = false;
    const slow: HealthIndicator = {
      name: 'slow',
      timeoutMs: 30,
      check: (signal) =>
        new Promise((resolve) => {
          signal.addEventListener('abort', () => {
            aborted = true;
            resolve({ status: 'UP' });
          });
        }),
    };
    const health = await checkAll([slow]);
    assert.equal(health.status, 'DOWN');
    assert.match(String(health.components?.slow.details?.error), /timed out after 30 ms/);
    assert.equal(aborted, true);
  });

  test('pingIndicator reports UP with latency', async () => {
    const health = await checkAll([pingIndicator('cache', () => undefined)]);
    assert.equal(health.components?.cache.status, 'UP');
    assert.equal(typeof health.components?.cache.details?.latencyMs, 'number');
  });
});

describe('probes', () => {
  test('startup gates liveness and readiness until the first success', async () => {
    const probes = new Probes().add(down('process-check') as HealthIndicator);
    assert.equal(probes.startup().httpStatus, 503);
    assert.equal((await probes.liveness()).health.status, 'UNKNOWN');
    assert.equal((await probes.readiness()).httpStatus, 503);
    probes.markStarted();
    assert.equal(probes.startup().httpStatus, 200);
  });

  test('liveness never runs downstream (readiness-only) indicators', async () => {
    const probes = new Probes().add(up('event-loop', ['liveness'])).add(down('inventory'));
    probes.markStarted();
    const live = await probes.liveness();
    assert.equal(live.httpStatus, 200);
    assert.deepEqual(Object.keys(live.health.components ?? {}), ['event-loop']);
    const ready = await probes.readiness();
    assert.equal(ready.httpStatus, 503);
    assert.equal(ready.health.components?.inventory.status, 'DOWN');
  });

  test('readiness answers DOWN once shutdown begins', async () => {
    const probes = new Probes().add(up('db'));
    probes.markStarted();
    assert.equal((await probes.readiness()).httpStatus, 200);
    probes.markShuttingDown();
    const ready = await probes.readiness();
    assert.equal(ready.httpStatus, 503);
    assert.equal(ready.health.details?.reason, 'shutting down');
  });
});
