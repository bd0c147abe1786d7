/**
 * `meshwork proxy` as a user runs it: a child process started from a bootstrap file, serving
 * through its listener, answering on its admin port, and draining to exit code 0 on SIGTERM.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseProxyArgs } from './proxy.js';

const MAIN = fileURLToPath(new URL('../main.ts', import.meta.url));

function runCli(args: string[]) {
  const child = spawn(
    process.execPath,
    [
      '--conditions=development',
      '--import',
      'tsx',
      '-e',
      `import(${JSON.stringify(MAIN)}).then((m) => m.main(process.argv.slice(1))).then((c) => process.exit(c))`,
      ...args,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const exited = new Promise<number>((r) => child.on('exit', (code) => r(code ?? -1)));
  return { child, exited, stderr: () => stderr };
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const p = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return p;
}

function bootstrapYaml(listen: number, admin: number, upstream: number): string {
  return `node: { id: cli-test }
admin: { address: { socket_address: { address: 127.0.0.1, port_value: ${admin} } } }
static_resources:
  listeners:
  - name: main
    address: { socket_address: { address: 127.0.0.1, port_value: ${listen} } }
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: cli
          route_config: { virtual_hosts: [{ name: all, domains: ["*"], routes: [{ match: { prefix: "/" }, route: { cluster: up } }] }] }
          http_filters: [{ name: envoy.filters.http.router, typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router } }]
  clusters:
  - name: up
    type: STATIC
    connect_timeout: 1s
    load_assignment: { cluster_name: up, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: ${upstream} } } } }] }] }
`;
}

describe('meshwork proxy', () => {
  test('argument errors are reported', () => {
    assert.equal(parseProxyArgs([]), '--config is required');
    assert.match(
      String(parseProxyArgs(['--config', 'x', '--mode', 'edge'])),
      /--mode must be sidecar or gateway/,
    );
    assert.match(String(parseProxyArgs(['--config', 'x', '--concurrency', '0'])), /--concurrency/);
    assert.deepEqual(parseProxyArgs(['--config=b.yaml', '--mode', 'gateway', '--admin-port', '0']), {
      config: 'b.yaml',
      mode: 'gateway',
      concurrency: 1,
      adminPort: 0,
      drainTimeoutMs: 10_000,
    });
  });

  test('serves from a bootstrap file, answers /ready, and exits 0 after draining on SIGTERM', async () => {
    const upstream = createServer((_q, res) => res.end('from upstream'));
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    const [listen, admin] = [await freePort(), await freePort()];
    const dir = mkdtempSync(join(tmpdir(), 'proxy-cli-'));
    const file = join(dir, 'bootstrap.yaml');
    writeFileSync(file, bootstrapYaml(listen, admin, (upstream.address() as { port: number }).port));
    const run = runCli(['proxy', '--config', file, '--mode', 'gateway']);
    try {
      for (let i = 0; i < 100 && !run.stderr().includes('listeners'); i++)
        await new Promise((r) => setTimeout(r, 50));
      assert.match(run.stderr(), /meshwork proxy \(gateway\)/);
      const res = await fetch(`http://127.0.0.1:${listen}/x`);
      assert.equal(await res.text(), 'from upstream');
      const ready = await fetch(`http://127.0.0.1:${admin}/ready`);
      assert.equal(await ready.text(), 'LIVE\n');
      run.child.kill('SIGTERM');
      assert.equal(await run.exited, 0);
    } finally {
      run.child.kill('SIGKILL');
      upstream.close();
    }
  });

  test('--concurrency 2 runs two workers on the same listener and all exit 0 on SIGTERM', async () => {
    const upstream = createServer((_q, res) => res.end('ok'));
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    const [listen, admin] = [await freePort(), await freePort()];
    const dir = mkdtempSync(join(tmpdir(), 'proxy-cli-'));
    const file = join(dir, 'bootstrap.yaml');
    writeFileSync(file, bootstrapYaml(listen, admin, (upstream.address() as { port: number }).port));
    // cluster.fork re-runs the entry script, so the workers need a real file to start from.
    const entry = join(dir, 'entry.ts');
    writeFileSync(
      entry,
      `import { main } from ${JSON.stringify(MAIN)};\nmain(process.argv.slice(2)).then((c) => { process.exitCode = c; });\n`,
    );
    const child = spawn(
      process.execPath,
      ['--conditions=development', '--import', 'tsx', entry, 'proxy', '--config', file, '--concurrency', '2'],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const exited = new Promise<number>((r) => child.on('exit', (code) => r(code ?? -1)));
    try {
      for (let i = 0; i < 200 && (stderr.match(/listeners main=/g)?.length ?? 0) < 2; i++)
        await new Promise((r) => setTimeout(r, 50));
      const pids = new Set([...stderr.matchAll(/pid (\d+): listeners main=/g)].map((m) => m[1]));
      assert.equal(pids.size, 2, stderr);
      assert.equal(await (await fetch(`http://127.0.0.1:${listen}/`)).text(), 'ok');
      assert.equal(await (await fetch(`http://127.0.0.1:${admin}/ready`)).text(), 'LIVE\n');
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
      for (const pid of pids) assert.throws(() => process.kill(Number(pid), 0));
    } finally {
      child.kill('SIGKILL');
      upstream.close();
    }
  });

  test('an invalid bootstrap exits 1 naming the field', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'proxy-cli-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'static_resources: { clusters: [{ name: c, lb_policy: NOPE }] }\n');
    const run = runCli(['proxy', '--config', file]);
    assert.equal(await run.exited, 1);
    assert.match(run.stderr(), /invalid configuration: static_resources\.clusters\[0\]\.lb_policy/);
  });
});
