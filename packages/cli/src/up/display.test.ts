import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { ProgressDisplay, renderCrash, renderTable, renderTransition } from './display.js';
import type { ComponentStatus } from './supervisor.js';

const status = (
  id: string,
  state: ComponentStatus['state'],
  extra: Partial<ComponentStatus> = {},
): ComponentStatus => ({
  id,
  kind: 'service',
  state,
  restarts: 0,
  ports: { app: 4000 },
  since: 0,
  ...extra,
});

test('the table aligns columns and spins only for components in motion', () => {
  const lines = renderTable(
    [status('orders-1', 'starting'), status('catalog-10', 'ready', { pid: 42, restarts: 2 })],
    1,
  );
  assert.equal(lines.length, 3);
  assert.match(lines[0], /^ {3}COMPONENT +STATE +PID +RESTARTS +PORTS$/);
  assert.ok(lines[1].startsWith('⠙  orders-1 '));
  assert.ok(lines[2].startsWith('✔  catalog-10'));
  assert.match(lines[2], /ready +42 +2 +app:4000/);
  assert.equal(lines[1].indexOf('starting'), lines[2].indexOf('ready'));
});

test('a plain transition line carries elapsed time, pid and ports', () => {
  assert.equal(
    renderTransition(status('users-1', 'ready', { pid: 7 }), 1234),
    '[  1.2s] users-1 ready (pid 7, app:4000)',
  );
});

test('a crash report shows how it exited, the restart delay and the last lines', () => {
  const lines = renderCrash({
    id: 'payments-1',
    code: 1,
    signal: null,
    lastLines: ['boom'],
    restartInMs: 500,
  });
  assert.deepEqual(lines, ['✖ payments-1 exited (code 1); restarting in 500 ms. Last lines:', '    boom']);
});

test('without a TTY the display prints one line per change and never redraws', () => {
  const out = new PassThrough();
  let text = '';
  out.on('data', (c) => {
    text += c;
  });
  const display = new ProgressDisplay(out, () => [], false);
  display.start();
  display.onState(status('a-1', 'starting'));
  display.print(['hello']);
  display.stop();
  assert.doesNotMatch(text, /\x1b\[/);
  assert.match(text, /a-1 starting/);
  assert.match(text, /hello\n$/);
});
