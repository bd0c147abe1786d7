import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readDurationMs, readEnum, readMessage, readPercent, readUint } from './envoy-json.js';

test('durations read as milliseconds from strings and {seconds, nanos}', () => {
  assert.equal(readDurationMs('d', '0.25s', 0), 250);
  assert.equal(readDurationMs('d', '30s', 0), 30_000);
  assert.equal(readDurationMs('d', '1.000000001s', 0), 1000.000001);
  assert.equal(readDurationMs('d', { seconds: '2', nanos: 500_000_000 }, 0), 2500);
  assert.equal(readDurationMs('d', undefined, 42), 42);
  assert.throws(() => readDurationMs('x.timeout', '250ms', 0), {
    message: 'x.timeout: invalid duration "250ms" (expected e.g. "0.25s")',
  });
  assert.throws(() => readDurationMs('x.timeout', '-1s', 0), {
    message: 'x.timeout: duration must not be negative',
  });
});

test('unsigned integers accept numbers, 64-bit strings and wrappers', () => {
  assert.equal(readUint('n', 7, 0), 7);
  assert.equal(readUint('n', '4096', 0), 4096);
  assert.equal(readUint('n', { value: 3 }, 0), 3);
  assert.equal(readUint('n', undefined, 9), 9);
  assert.throws(() => readUint('c.max', -1, 0), {
    message: 'c.max: expected an integer between 0 and 4294967295, got -1',
  });
  assert.throws(() => readUint('c.max', 1.5, 0), /c\.max: expected an integer/);
});

test('enums by name or by number', () => {
  const names = ['A', 'B', 'C'] as const;
  assert.equal(readEnum('e', 'B', names, 'A'), 'B');
  assert.equal(readEnum('e', 2, names, 'A'), 'C');
  assert.equal(readEnum('e', undefined, names, 'A'), 'A');
  assert.throws(() => readEnum('x.kind', 'D', names, 'A'), { message: 'x.kind: unsupported value "D"' });
});

test('percents and messages', () => {
  assert.equal(readPercent('p', { value: 25.5 }, 50), 25.5);
  assert.throws(() => readPercent('p', { value: 120 }, 50), {
    message: 'p: percent must be between 0 and 100, got 120',
  });
  assert.throws(() => readMessage('m', [], new Set()), { message: 'm: expected an object, got an array' });
  assert.throws(() => readMessage('m', { a: 1, b: 2 }, new Set(['a'])), {
    message: 'm.b: unsupported field',
  });
});
