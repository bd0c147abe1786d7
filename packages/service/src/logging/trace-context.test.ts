import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  childContext,
  currentTrace,
  formatTraceparent,
  parseTraceparent,
  runWithTrace,
} from './trace-context.js';

const header = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

test('a valid traceparent parses and formats back unchanged', () => {
  const ctx = parseTraceparent(header);
  assert.deepEqual(ctx, {
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    spanId: '00f067aa0ba902b7',
    sampled: true,
  });
  assert.equal(formatTraceparent(ctx!), header);
});

test('malformed or all-zero traceparents are ignored', () => {
  assert.equal(parseTraceparent('garbage'), undefined);
  assert.equal(parseTraceparent(`00-${'0'.repeat(32)}-00f067aa0ba902b7-01`), undefined);
  assert.equal(parseTraceparent('ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'), undefined);
  assert.equal(parseTraceparent('00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01'), undefined);
  assert.equal(parseTraceparent(undefined), undefined);
});

test('a child context keeps the trace id and gets a new span id', () => {
  const parent = parseTraceparent(header)!;
  const child = childContext(parent);
  assert.equal(child.traceId, parent.traceId);
  assert.notEqual(child.spanId, parent.spanId);
  assert.match(childContext(undefined).traceId, /^[0-9a-f]{32}$/);
});

test('the active context follows async work', async () => {
  const ctx = childContext(undefined);
  const seen = await runWithTrace(ctx, async () => {
    await new Promise((r) => setTimeout(r, 1));
    return currentTrace();
  });
  assert.equal(seen, ctx);
  assert.equal(currentTrace(), undefined);
});
