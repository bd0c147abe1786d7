import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ExecutionContext, ROOT_CONTEXT } from './context.js';

describe('ExecutionContext', () => {
  test('creates no signal until asked and reports aborts without one', () => {
    const parent = new ExecutionContext();
    const child = new ExecutionContext(parent);
    parent.abort(new Error('stop'));
    assert.equal(child.aborted, true);
    assert.match(String(child.abortReason), /stop/);
    assert.equal(child.signal.aborted, true, 'a signal created after the abort starts aborted');
  });

  test('a child signal follows its parent and its own abort', () => {
    const controller = new AbortController();
    const root = new ExecutionContext(undefined, controller.signal);
    const a = new ExecutionContext(root);
    const b = new ExecutionContext(root);
    const signalA = a.signal;
    const signalB = b.signal;
    b.abort('only b');
    assert.equal(signalB.aborted, true);
    assert.equal(signalA.aborted, false);
    controller.abort('caller gone');
    assert.equal(signalA.aborted, true);
    assert.equal(signalA.reason, 'caller gone');
  });

  test('inherits attempt and deadline from the parent', () => {
    const parent = new ExecutionContext();
    parent.attempt = 3;
    parent.deadline = 1234;
    const child = new ExecutionContext(parent);
    assert.equal(child.attempt, 3);
    assert.equal(child.deadline, 1234);
  });

  test('the shared root cannot be aborted or changed', () => {
    ROOT_CONTEXT.abort('nope');
    assert.equal(ROOT_CONTEXT.aborted, false);
    assert.equal(ROOT_CONTEXT.signal.aborted, false);
    assert.throws(() => {
      (ROOT_CONTEXT as { attempt: number }).attempt = 2;
    }, TypeError);
  });
});
