/**
 * `meshwork control-plane` as a user runs it: a child process that serves REST and ADS on the
 * ports it prints, persists applies in its data directory, and exits 0 on SIGTERM.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { command } from './control-plane.js';

const MAIN = fileURLToPath(new URL('../main.ts', import.meta.url));

test('the control plane serves on the ports it prints and stops cleanly on SIGTERM', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'meshd-cli-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const child = spawn(
    process.execPath,
    [
      '--conditions=development',
      '--import',
      'tsx',
      '-e',
      `import(${JSON.stringify(MAIN)}).then((m) => m.main(process.argv.slice(1))).then((c) => process.exit(c))`,
      'control-plane',
      '--rest-port',
      '0',
      '--xds-port',
      '0',
      '--data-dir',
      dataDir,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const exited = new Promise<number>((r) => child.on('exit', (code) => r(code ?? -1)));
  t.after(() => child.kill('SIGKILL'));
  const line = await new Promise<string>((resolve) =>
    createInterface({ input: child.stdout }).once('line', resolve),
  );
  const m = /REST (http:\/\/\S+)\s+ADS (\S+)/.exec(line);
  assert.ok(m, `unexpected banner: ${line}`);
  const res = await fetch(`${m[1]}/v1/resources`, {
    method: 'POST',
    headers: { 'content-type': 'application/yaml' },
    body: 'apiVersion: v1\nkind: Service\nmetadata: { name: web }\nspec: { ports: [{ port: 80 }] }\n',
  });
  assert.equal(res.status, 200);
  const proxies = (await (await fetch(`${m[1]}/v1/proxies`)).json()) as { proxies: unknown[] };
  assert.equal(proxies.proxies.length, 0);
  child.kill('SIGTERM');
  assert.equal(await exited, 0);
  assert.match(readFileSync(join(dataDir, 'resources.jsonl'), 'utf8'), /"name":"web"/);
});

test('a bad port is refused with the flag named', async () => {
  const errors: string[] = [];
  const original = console.error;
  console.error = (m: string) => errors.push(m);
  try {
    assert.equal(await command.run(['--rest-port', 'http']), 1);
  } finally {
    console.error = original;
  }
  assert.match(errors[0], /--rest-port: "http" is not a port/);
});
