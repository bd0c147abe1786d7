import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { createService } from '../service.js';
import { createLogger } from './logger.js';

test('log lines carry service and instance, and trace ids while a request is handled', async () => {
  const out = new PassThrough();
  const lines: Record<string, unknown>[] = [];
  out.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
  });
  const log = createLogger({ service: 'orders', instanceId: 'orders-7', level: 'info', destination: out });
  const svc = createService({ name: 'orders', instanceId: 'orders-7', log, handleSignals: false, env: {} });
  svc.router.get('/work', (ctx) => {
    ctx.log.info('handling');
    return { ok: true };
  });
  const port = await svc.start();
  try {
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const res = await fetch(`http://127.0.0.1:${port}/work`, { headers: { traceparent } });
    assert.equal(res.headers.get('x-served-by'), 'orders-7');
    await new Promise((r) => setImmediate(r));
    const handling = lines.find((l) => l.msg === 'handling')!;
    assert.equal(handling.service, 'orders');
    assert.equal(handling.instance, 'orders-7');
    assert.equal(handling.level, 'info');
    assert.equal(handling.trace_id, '4bf92f3577b34da6a3ce929d0e0e4736');
    assert.match(String(handling.span_id), /^[0-9a-f]{16}$/);
    assert.notEqual(handling.span_id, '00f067aa0ba902b7', 'this hop has its own span');
    const listening = lines.find((l) => String(l.msg).includes('listening'))!;
    assert.equal(listening.trace_id, undefined, 'no trace outside a request');
  } finally {
    await svc.stop();
  }
});
