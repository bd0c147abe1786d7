import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { UpstreamConnection } from '../http/upstream-callbacks.js';
import { RequestBody } from './request-body.js';

function recorder() {
  const written: string[] = [];
  let ended = false;
  const conn = {
    writeBody: (c: Buffer) => {
      written.push(c.toString());
      return true;
    },
    endBody: () => {
      ended = true;
    },
  } as unknown as UpstreamConnection;
  return { conn, written, ended: () => ended };
}

describe('request body replay', () => {
  test('chunks received before any connection are replayed to each attempt while under the limit', () => {
    const body = new RequestBody(true, 10);
    assert.equal(body.add(Buffer.from('abc'), false), false);
    body.done = true;
    const first = recorder();
    body.replayTo(first.conn);
    const retry = recorder();
    body.replayTo(retry.conn);
    assert.deepEqual(first.written, ['abc']);
    assert.deepEqual(retry.written, ['abc']);
    assert.ok(retry.ended());
    assert.equal(body.resendable, true);
  });

  test('past the limit the body streams through once and is no longer resendable', () => {
    const body = new RequestBody(true, 4);
    assert.equal(body.add(Buffer.from('abc'), true), false);
    assert.equal(body.add(Buffer.from('defg'), true), false);
    assert.equal(body.resendable, false);
    const late = recorder();
    body.replayTo(late.conn);
    assert.deepEqual(late.written, []);
  });

  test('past the limit with no connection yet the downstream is paused and the held bytes go to the first attempt', () => {
    const body = new RequestBody(true, 4);
    assert.equal(body.add(Buffer.from('abc'), false), false);
    assert.equal(body.add(Buffer.from('defg'), false), true);
    const first = recorder();
    body.replayTo(first.conn);
    assert.deepEqual(first.written, ['abc', 'defg']);
    const second = recorder();
    body.replayTo(second.conn);
    assert.deepEqual(second.written, []);
  });

  test('a request without a body is always resendable and never ends a body', () => {
    const body = new RequestBody(false);
    const r = recorder();
    body.replayTo(r.conn);
    assert.equal(body.resendable, true);
    assert.equal(r.ended(), false);
  });
});
