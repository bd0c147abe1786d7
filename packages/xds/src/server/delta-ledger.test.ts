import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ABSENT, DeltaLedger, type SentDelta } from './delta-ledger.js';

const all = () => true;
const delta = (
  version: string,
  updates: Record<string, string>,
  removals: Record<string, boolean> = {},
): SentDelta => ({
  version,
  updates: new Map(Object.entries(updates)),
  removals: new Map(Object.entries(removals)),
  content: version,
});

test('known runs ahead of acked by the responses in flight', () => {
  const ledger = new DeltaLedger({ a: 'a1' });
  ledger.sent('n1', delta('2', { a: 'a2', b: 'b1' }), all);
  assert.deepEqual(Object.fromEntries(ledger.known), { a: 'a2', b: 'b1' });
  ledger.ack('n1', all);
  assert.deepEqual(Object.fromEntries(ledger.known), { a: 'a2', b: 'b1' });
});

test('a NACK rewinds to what the client confirmed plus the responses still in flight after it', () => {
  const ledger = new DeltaLedger({ a: 'a1', c: 'c1' });
  ledger.sent('n1', delta('2', { a: 'a2', f: 'f1' }), all); // will be rejected
  ledger.sent('n2', delta('3', {}, { c: false }), all); // computed on top of n1, accepted
  const rejected = ledger.nack('n1', all);
  assert.equal(rejected?.version, '2');
  // The client applied n2 on top of what it had before n1: a1, no f, no c.
  assert.deepEqual(Object.fromEntries(ledger.known), { a: 'a1' });
  ledger.ack('n2', all);
  assert.deepEqual(Object.fromEntries(ledger.known), { a: 'a1' });
});

test('a removal of a still-subscribed name is held as absent; unknown nonces change nothing', () => {
  const ledger = new DeltaLedger({});
  ledger.sent('n1', delta('1', { a: 'a1' }, { missing: true }), all);
  assert.equal(ledger.known.get('missing'), ABSENT);
  assert.equal(ledger.ack('nope', all), undefined);
  assert.equal(ledger.nack('nope', all), undefined);
  assert.deepEqual(Object.fromEntries(ledger.known), { a: 'a1', missing: ABSENT });
});

test('names the client no longer wants are not taken in when their response is acknowledged', () => {
  const ledger = new DeltaLedger({});
  let wanted = new Set(['a', 'b']);
  const wants = (name: string) => wanted.has(name);
  ledger.sent('n1', delta('1', { a: 'a1', b: 'b1' }), wants);
  wanted = new Set(['b']);
  ledger.forget('a');
  ledger.nack('n0', wants);
  ledger.ack('n1', wants);
  ledger.sent('n2', delta('2', {}), wants);
  ledger.nack('n2', wants); // rebuilds known from acked
  assert.deepEqual(Object.fromEntries(ledger.known), { b: 'b1' });
});
