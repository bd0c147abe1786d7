import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { NotReadyError } from './errors.js';
import { PortAllocator } from './ports.js';
import { type ComponentSpec, type ComponentStatus, type CrashReport, Supervisor } from './supervisor.js';

// A child that serves /ready on PORT, logs a line, and exits 0 on SIGTERM after a short drain.
const SERVER = `
const http = require('node:http');
const s = http.createServer((q, r) => r.end('ok')).listen(Number(process.env.PORT), '127.0.0.1', () => console.log('listening ' + process.env.PORT));
process.on('SIGTERM', () => { console.log('draining'); s.close(() => process.exit(0)); });
if (process.env.CRASH_AFTER_MS) setTimeout(() => { console.error('fatal: out of cheese'); process.exit(3); }, Number(process.env.CRASH_AFTER_MS));
`;

const dir = mkdtempSync(join(tmpdir(), 'supervisor-'));
const ports = new PortAllocator();

async function component(
  id: string,
  env: Record<string, string> = {},
  extra: Partial<ComponentSpec> = {},
): Promise<ComponentSpec> {
  const [port] = await ports.allocate(1);
  return {
    id,
    kind: 'service',
    command: process.execPath,
    args: ['-e', SERVER],
    env: { PATH: process.env.PATH, PORT: String(port), ...env },
    readiness: { http: `http://127.0.0.1:${port}/ready` },
    ports: { app: port },
    readyTimeoutMs: 5000,
    ...extra,
  };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('supervisor', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('starts groups in order, waits for readiness, and stops them in reverse', async () => {
    const sup = new Supervisor({ logDir: dir, pollMs: 20 });
    const a = await component('a-1');
    const b = await component('b-1');
    const c = await component('c-1');
    sup.add([a, b, c]);
    const events: string[] = [];
    sup.on('state', (s: ComponentStatus) => events.push(`${s.id}:${s.state}`));
    await sup.startGroup(['a-1']);
    await sup.startGroup(['b-1', 'c-1']);
    assert.deepEqual(
      sup.statuses().map((s) => s.state),
      ['ready', 'ready', 'ready'],
    );
    const pids = sup.pids();
    assert.equal(pids.length, 3);
    await sup.stopAll();
    for (const pid of pids) assert.equal(alive(pid), false);
    const stopping = events.filter((e) => e.endsWith(':stopping')).map((e) => e.split(':')[0]);
    assert.equal(stopping.at(-1), 'a-1', 'the first group stops last');
    assert.ok(events.indexOf('a-1:stopping') > events.indexOf('b-1:stopped'));
    assert.match(readFileSync(join(dir, 'a-1.log'), 'utf8'), /listening[\s\S]*draining/);
  });

  test('a crashed child is reported with its last lines and restarted with backoff', async () => {
    const sup = new Supervisor({ pollMs: 20, backoff: { initialMs: 50, maxMs: 200, resetAfterMs: 60_000 } });
    sup.add([await component('flaky-1', { CRASH_AFTER_MS: '400' })]);
    const crashes: CrashReport[] = [];
    sup.on('crash', (r: CrashReport) => crashes.push(r));
    await sup.startGroup(['flaky-1']);
    while (crashes.length < 2 || sup.statuses()[0].restarts < 2) await new Promise((r) => setTimeout(r, 20));
    await sup.stopAll();
    assert.equal(crashes[0].code, 3);
    assert.ok(crashes[0].lastLines.some((l) => l.includes('fatal: out of cheese')));
    assert.deepEqual(
      crashes.slice(0, 2).map((c) => c.restartInMs),
      [50, 100],
    );
  });

  test('a component that never gets ready fails with its last output lines', async () => {
    const sup = new Supervisor({ pollMs: 20 });
    const spec = await component(
      'mute-1',
      {},
      { readiness: { http: 'http://127.0.0.1:1/never' }, readyTimeoutMs: 300 },
    );
    sup.add([spec]);
    const err = await sup.startGroup(['mute-1']).catch((e: unknown) => e);
    await sup.stopAll();
    assert.ok(err instanceof NotReadyError);
    assert.equal(err.code, 'MESH_ERR_NOT_READY');
    assert.ok(err.lastLines.some((l) => l.startsWith('listening')));
  });

  test('stopping a component that is still starting fails its startup at once', async () => {
    const sup = new Supervisor({ pollMs: 20 });
    const spec = await component(
      'slow-1',
      {},
      { readiness: { http: 'http://127.0.0.1:1/never' }, readyTimeoutMs: 30_000 },
    );
    sup.add([spec]);
    const starting = sup.startGroup(['slow-1']).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 200));
    const startedAt = Date.now();
    await sup.stopAll();
    const err = await starting;
    assert.equal((err as { code?: string }).code, 'MESH_ERR_UP_STOPPED');
    assert.ok(Date.now() - startedAt < 5000);
  });

  test('restart: false leaves a crashed component failed', async () => {
    const sup = new Supervisor({ pollMs: 20 });
    sup.add([await component('once-1', { CRASH_AFTER_MS: '400' }, { restart: false })]);
    const crashed = new Promise<CrashReport>((r) => sup.once('crash', r));
    await sup.startGroup(['once-1']);
    const report = await crashed;
    assert.equal(report.restartInMs, undefined);
    assert.equal(sup.statuses()[0].state, 'failed');
    await sup.stopAll();
  });

  test('a child ignoring SIGTERM is killed after the grace period', async () => {
    const sup = new Supervisor({ pollMs: 20, stopGraceMs: 200 });
    const spec = await component('stubborn-1');
    spec.args = [
      '-e',
      `${SERVER}\nprocess.removeAllListeners('SIGTERM'); process.on('SIGTERM', () => console.log('ignoring'));`,
    ];
    sup.add([spec]);
    await sup.startGroup(['stubborn-1']);
    const [pid] = sup.pids();
    const startedAt = Date.now();
    await sup.stopAll();
    assert.equal(alive(pid), false);
    assert.ok(Date.now() - startedAt >= 180);
  });
});
