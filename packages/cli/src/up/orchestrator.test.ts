import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, test } from 'node:test';
import { NotReadyError, PortInUseError } from './errors.js';
import { Orchestrator, type UpConfig } from './orchestrator.js';
import { isPortFree } from './ports.js';

const dir = mkdtempSync(join(tmpdir(), 'orchestrator-'));
after(() => rmSync(dir, { recursive: true, force: true }));

// `ok` serves every path; `mute` runs but never answers its readiness path.
writeFileSync(
  join(dir, 'ok.js'),
  "require('node:http').createServer((q, r) => r.end('{}')).listen(+process.env.PORT, '127.0.0.1');",
);
writeFileSync(join(dir, 'mute.js'), 'setInterval(() => {}, 1000); console.log("booting forever");');

function config(spec: string, name: string): UpConfig {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, spec);
  const out = new PassThrough();
  out.resume();
  return {
    specFile: file,
    mesh: false,
    discovery: 'static',
    stateDir: join(dir, `state-${name}`),
    gatewayPort: 0,
    controlPlanePort: 0,
    xdsPort: 0,
    logLevel: 'warn',
    cliBin: 'unused',
    out,
    live: false,
    stopGraceMs: 2000,
  };
}

test('a component that never gets ready fails `up`, which stops what it started and cleans up', async () => {
  const cfg = config(
    `
spec:
  services:
    - { name: good, args: [ok.js] }
    - { name: stuck, args: [mute.js], health: { timeoutMs: 600 }, dependsOn: [good] }
`,
    'stuck',
  );
  const orchestrator = new Orchestrator(cfg);
  const err = await orchestrator.up().catch((e: unknown) => e);
  assert.ok(err instanceof NotReadyError, String(err));
  assert.equal(err.component, 'stuck-1');
  assert.ok(err.lastLines.some((l) => l.includes('booting forever')));
  assert.deepEqual(orchestrator.pids(), [], 'everything started was stopped');
  assert.equal(existsSync(join(cfg.stateDir, 'up.json')), false);
});

test('a system that is up writes its state, and down() frees every port', async () => {
  const cfg = config(
    `
spec:
  services:
    - { name: web, args: [ok.js], replicas: 2, health: { ready: /ready } }
`,
    'web',
  );
  const orchestrator = new Orchestrator(cfg);
  const state = await orchestrator.up();
  assert.equal(state.mode, 'direct');
  assert.deepEqual(
    state.components.map((c) => `${c.id}:${c.state}`),
    ['web-1:ready', 'web-2:ready'],
  );
  assert.ok(existsSync(join(cfg.stateDir, 'up.json')));
  const ports = [
    ...state.components.flatMap((c) => Object.values(c.ports)),
    Number(new URL(state.gateway).port),
  ];
  await orchestrator.down();
  for (const port of ports) assert.equal(await isPortFree(port), true, `port ${port}`);
  assert.deepEqual(orchestrator.pids(), []);
});

test('a state dir in use by a live `meshwork up` is refused; a stale one is taken over', async () => {
  const cfg = config('spec:\n  services:\n    - { name: web, args: [ok.js] }\n', 'claim');
  mkdirSync(cfg.stateDir, { recursive: true });
  writeFileSync(join(cfg.stateDir, 'up.json'), JSON.stringify({ pid: process.ppid }));
  await assert.rejects(new Orchestrator(cfg).up(), /meshwork up is already running \(pid \d+\)/);
  writeFileSync(join(cfg.stateDir, 'up.json'), JSON.stringify({ pid: 2 ** 22 + 12345 }));
  const orchestrator = new Orchestrator(cfg);
  await orchestrator.up();
  await orchestrator.down();
});

test('a busy default port is replaced with a note; a busy port the user chose is an error', async () => {
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  const busy = (blocker.address() as { port: number }).port;
  try {
    const cfg = {
      ...config('spec:\n  services:\n    - { name: web, args: [ok.js] }\n', 'busy'),
      gatewayPort: busy,
    };
    let text = '';
    (cfg.out as PassThrough).on('data', (c) => {
      text += c;
    });
    const orchestrator = new Orchestrator(cfg);
    const state = await orchestrator.up();
    await orchestrator.down();
    assert.notEqual(new URL(state.gateway).port, String(busy));
    assert.match(text, new RegExp(`note: port ${busy} \\(gateway\\) is in use; using \\d+ instead`));
    await assert.rejects(
      new Orchestrator({ ...cfg, explicitPorts: new Set(['gateway']) }).up(),
      PortInUseError,
    );
  } finally {
    blocker.close();
  }
});

test('an unbuilt entry point is reported before anything starts', async () => {
  const cfg = config('spec:\n  services:\n    - { name: ghost, args: [dist/ghost.js] }\n', 'ghost');
  await assert.rejects(new Orchestrator(cfg).up(), (err: unknown) => {
    assert.equal((err as { code?: string }).code, 'MESH_ERR_UP_NOT_BUILT');
    assert.match(
      (err as Error).message,
      /ghost: .*dist\/ghost\.js does not exist — run `npm run build` first/,
    );
    return true;
  });
});
