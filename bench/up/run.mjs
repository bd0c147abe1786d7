#!/usr/bin/env node
// Time to ready and total memory of the whole shop under `meshwork up`.
//
//   node bench/up/run.mjs [--runs 3] [--mode no-mesh|direct|mesh] [--sidecars shared|per-instance] [--requests 300]
//
// Each run starts `meshwork up` as a user would (a child process, built JavaScript), measures
// wall time from spawn until every component is ready (the state file reports it), then the
// summed RSS of the orchestrator and every child (from /proc) idle and after a burst of
// catalog reads and orders through the gateway, then stops it with SIGTERM.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const runs = Number(opt('runs', 3));
const mode = opt('mode', 'no-mesh');
const requests = Number(opt('requests', 300));
const sidecars = opt('sidecars', 'shared');

function rssKb(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

async function waitReady(stateFile, child, timeoutMs) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`meshwork up exited with ${child.exitCode}`);
    if (existsSync(stateFile)) {
      try {
        const s = JSON.parse(readFileSync(stateFile, 'utf8'));
        if (s.readyInMs !== undefined) return s;
      } catch {}
    }
    if (Date.now() > end) throw new Error('not ready in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const totalRssMb = (state, upPid) =>
  Math.round(
    ([upPid, ...state.components.map((c) => c.pid).filter(Boolean)].reduce((s, p) => s + rssKb(p), 0) /
      1024) *
      10,
  ) / 10;

async function traffic(gateway) {
  for (let i = 0; i < requests; i++) {
    if (i % 10 === 0) {
      await fetch(`${gateway}/api/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ userId: 'u-ada', items: [{ productId: 'sku-lamp', quantity: 1 }] }),
      }).then((r) => r.arrayBuffer());
    } else {
      await fetch(`${gateway}/api/products`).then((r) => r.arrayBuffer());
    }
  }
}

async function once() {
  const stateDir = mkdtempSync(join(tmpdir(), 'bench-up-'));
  const flag = mode === 'mesh' ? '--mesh' : mode === 'direct' ? '--direct' : '--no-mesh';
  const extra = mode === 'mesh' ? ['--sidecars', sidecars] : [];
  const startedAt = performance.now();
  const child = spawn(
    process.execPath,
    [
      join(root, 'packages/cli/bin/meshwork.js'),
      'up',
      flag,
      ...extra,
      '--plain',
      '--gateway-port',
      '0',
      '--control-plane-port',
      '0',
      '--xds-port',
      '0',
      '--state-dir',
      stateDir,
    ],
    { cwd: root, stdio: 'ignore' },
  );
  try {
    const state = await waitReady(join(stateDir, 'up.json'), child, 60_000);
    const wallMs = Math.round(performance.now() - startedAt);
    await new Promise((r) => setTimeout(r, 1000));
    const idleMb = totalRssMb(state, child.pid);
    const t0 = performance.now();
    await traffic(state.gateway);
    const trafficMs = Math.round(performance.now() - t0);
    const loadedMb = totalRssMb(state, child.pid);
    return {
      wallMs,
      readyInMs: state.readyInMs,
      processes: state.components.length + 1,
      idleMb,
      loadedMb,
      trafficMs,
    };
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
    rmSync(stateDir, { recursive: true, force: true });
  }
}

const results = [];
for (let i = 0; i < runs; i++) {
  const r = await once();
  results.push(r);
  console.error(`run ${i + 1}: ${JSON.stringify(r)}`);
}
const median = (k) => results.map((r) => r[k]).sort((a, b) => a - b)[Math.floor(results.length / 2)];
const summary = {
  mode: mode === 'mesh' ? `mesh (${sidecars} sidecars)` : mode,
  runs,
  requests,
  processes: results[0].processes,
  wallMs: median('wallMs'),
  readyInMs: median('readyInMs'),
  idleMb: median('idleMb'),
  loadedMb: median('loadedMb'),
};
console.log(JSON.stringify(summary));
console.log(
  `| ${mode} | ${summary.processes} | ${(summary.wallMs / 1000).toFixed(1)} s | ${summary.idleMb} MB | ${summary.loadedMb} MB |`,
);
