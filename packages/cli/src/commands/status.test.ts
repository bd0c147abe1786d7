import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { command } from './status.js';

const dir = mkdtempSync(join(tmpdir(), 'status-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function capture(): { lines: string[]; restore(): void } {
  const lines: string[] = [];
  const log = console.log;
  const error = console.error;
  console.log = (...a: unknown[]) => lines.push(a.join(' '));
  console.error = (...a: unknown[]) => lines.push(a.join(' '));
  return {
    lines,
    restore() {
      console.log = log;
      console.error = error;
    },
  };
}

test('with nothing running and no control plane, status says so and exits 1', async () => {
  const out = capture();
  const code = await command
    .run(['--state-dir', dir, '--control-plane', 'http://127.0.0.1:1'])
    .finally(out.restore);
  assert.equal(code, 1);
  assert.match(out.lines.join('\n'), /no `meshwork up` state found and the control plane is unreachable/);
});

test('a direct-mode state file is shown without a control plane', async () => {
  const state = {
    pid: 1,
    system: 'shop',
    mode: 'direct',
    gateway: 'http://127.0.0.1:8080',
    components: [
      {
        id: 'users-1',
        kind: 'service',
        state: 'ready',
        pid: 42,
        restarts: 0,
        ports: { app: 4000 },
        since: 0,
      },
    ],
  };
  writeFileSync(join(dir, 'up.json'), JSON.stringify(state));
  const out = capture();
  const code = await command.run(['--state-dir', dir]).finally(out.restore);
  assert.equal(code, 0);
  assert.match(out.lines.join('\n'), /users-1 +ready +42 +0 +app:4000/);
});

test('unknown options are refused by name', async () => {
  const out = capture();
  const code = await command.run(['--bogus']).finally(out.restore);
  assert.equal(code, 2);
  assert.match(out.lines.join('\n'), /unknown option "--bogus" \(see `meshwork status --help`\)/);
});
