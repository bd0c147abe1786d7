import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

// The package as other packages and plain Node see it: the built output, no TypeScript loader.
const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const repositoryRoot = resolve(packageDir, '..', '..');

const PUBLIC_VALUES = [
  'AbortedError',
  'Bulkhead',
  'BulkheadFullError',
  'CallNotPermittedError',
  'CircuitBreaker',
  'ConfigError',
  'ConsecutiveBreaker',
  'ExecutionContext',
  'EventPublisher',
  'Fallback',
  'Hedging',
  'IntervalFunction',
  'ManualClock',
  'MaxRetriesExceededError',
  'MeshError',
  'PolicyRegistry',
  'PolicyWrap',
  'RateLimiter',
  'RequestNotPermittedError',
  'ResultRecordedAsFailureError',
  'Retry',
  'RetryBudget',
  'ROOT_CONTEXT',
  'TimeLimiter',
  'TimeoutError',
  'TimerWheel',
  'TokenBucket',
  'contextOf',
  'flushMicrotasks',
  'systemClock',
  'timerWheelFor',
  'unrefTimer',
  'wrap',
  'CIRCUIT_BREAKER_DEFAULTS',
  'RETRY_DEFAULTS',
  'BULKHEAD_DEFAULTS',
  'TIME_LIMITER_DEFAULTS',
  'RATE_LIMITER_DEFAULTS',
  'TOKEN_BUCKET_DEFAULTS',
  'HEDGING_DEFAULTS',
  'RETRY_BUDGET_DEFAULTS',
  'CONSECUTIVE_BREAKER_DEFAULTS',
];

describe('@meshwork/resilience public API', () => {
  test('the entry point exports every public value', async () => {
    const api = (await import('./index.js')) as Record<string, unknown>;
    const missing = PUBLIC_VALUES.filter((name) => api[name] === undefined);
    assert.deepEqual(missing, []);
  });
});

describe('@meshwork/resilience built output', () => {
  before(() => {
    if (!existsSync(join(packageDir, 'dist', 'index.js'))) {
      execFileSync('npx', ['tsc', '-b', 'packages/resilience'], { cwd: repositoryRoot, stdio: 'inherit' });
    }
  });

  test('imports from plain Node by package name', () => {
    const script = [
      "import { CircuitBreaker, Retry, Bulkhead, TimeLimiter, RateLimiter, wrap } from '@meshwork/resilience';",
      "const policy = wrap(new Retry('r'), new CircuitBreaker('c'), new Bulkhead('b'), new TimeLimiter('t'));",
      "const limiter = new RateLimiter('l');",
      'const value = await policy.execute(async (ctx) => ctx.attempt);',
      'console.log(JSON.stringify({ value, permitted: limiter.tryAcquirePermission() }));',
    ].join('\n');
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: repositoryRoot,
      encoding: 'utf8',
      // Plain Node: no development condition, no TypeScript loader from the test runner.
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    assert.deepEqual(JSON.parse(out.trim()), { value: 1, permitted: true });
  });
});
