import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WarmingGate } from './warming-gate.js';

test('a gate opens when the last missing resource arrives, not before', async () => {
  const gate = new WarmingGate(['a', 'b']);
  let opened = false;
  const waiting = gate.wait(60_000).then(() => {
    opened = true;
  });
  gate.arrived(['a', 'unrelated']);
  await new Promise((r) => setImmediate(r));
  assert.equal(opened, false);
  assert.equal(gate.warm, false);
  gate.arrived(['b']);
  await waiting;
  assert.equal(gate.warm, true);
});

test('a gate with nothing missing is open; release and the timeout open it too', async () => {
  await new WarmingGate([]).wait(60_000);
  const released = new WarmingGate(['x']);
  released.release();
  await released.wait(60_000);
  const started = Date.now();
  await new WarmingGate(['never']).wait(30);
  assert.ok(Date.now() - started >= 25, 'waited for the timeout');
});
