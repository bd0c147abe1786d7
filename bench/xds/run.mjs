#!/usr/bin/env node
// xDS convergence at scale: N simulated sidecars (default 1,000) split over client processes
// (default 2), each an ADS client on its own HTTP/2 connection, against the control plane in a
// child process (so its CPU and memory are measured alone). For each ADS variant (state of the
// world, then delta) we apply a route change and an endpoint change several times and time, per
// proxy, from the REST call to the moment the proxy holds the new config (it ACKs right after).
// Warm-up rounds are run first and not counted.
//
//   node bench/xds/run.mjs               (updates the "xDS" section of bench/RESULTS.md)
//   BENCH_CLIENTS=200 BENCH_MODES=delta node bench/xds/run.mjs --no-write
//   BENCH_CLIENT=grpc-js …               (the simulated sidecars use @grpc/grpc-js clients)
//   BENCH_CLIENT_PROCS=1 …               (all sidecars in one process)
//   BENCH_PIN=1 …                        (control plane on core 0, clients on core 1)
//   BENCH_CP_NODE_FLAGS='--cpu-prof --cpu-prof-dir=prof' …   (profiles the control plane)
//   BENCH_CLIENT_NODE_FLAGS=…            (flags for the client processes, e.g. --cpu-prof)
//   BENCH_ALLOC_PROFILE=cp.heapprofile … (samples the control plane's allocations, garbage too)
//   BENCH_TRACE=1 …                      (the control plane logs each push and its cost to stderr)
import { fork, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
// Runs on the built packages (\`tsc -b\` first); when the build fails (work in progress elsewhere in
// the tree), on the TypeScript sources through tsx instead, which costs the control plane some RSS.
const SOURCE_FLAGS = ['--conditions=development', '--import', 'tsx'];
const onSources = process.execArgv.includes('--conditions=development');
if (!onSources) {
  const build = spawnSync('npx', ['tsc', '-b', 'packages/control-plane'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) {
    console.error('bench/xds: build failed, running on the sources');
    const r = spawnSync(
      process.execPath,
      [...SOURCE_FLAGS, fileURLToPath(import.meta.url), ...process.argv.slice(2)],
      {
        stdio: 'inherit',
      },
    );
    process.exit(r.status ?? 1);
  }
}
const RUNTIME_FLAGS = onSources ? SOURCE_FLAGS : [];
const { TYPE_URLS } = await import('@meshwork/xds');

const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 1000);
const SERVICES = Number(process.env.BENCH_SERVICES ?? 20);
const INSTANCES = Number(process.env.BENCH_INSTANCES ?? 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
// Rounds run first and not counted, so the JIT has compiled the hot paths of every process (a
// control plane in service is warm).
const WARMUP = Number(process.env.BENCH_WARMUP ?? 3);
const MODES = (process.env.BENCH_MODES ?? 'sotw,delta').split(',');
// The simulated sidecars run in this many processes, so that one thread reading every response
// does not become what is measured.
const CLIENT_PROCS = Math.max(1, Number(process.env.BENCH_CLIENT_PROCS ?? 2));
const write = !process.argv.includes('--no-write');
const RDS = TYPE_URLS.ROUTE_CONFIGURATION;
const EDS = TYPE_URLS.CLUSTER_LOAD_ASSIGNMENT;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const epochNow = () => performance.timeOrigin + performance.now();
const pct = (sorted, p) =>
  sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1];

const vs = (i, marker, w1) => `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: svc-${i} }
spec:
  hosts: [svc-${i}]
  http:
  - headers: { request: { set: { x-bench: "${marker}" } } }
    route:
    - { destination: { host: svc-${i}, subset: v1 }, weight: ${w1} }
    - { destination: { host: svc-${i}, subset: v2 }, weight: ${100 - w1} }
`;

async function startControlPlane() {
  // BENCH_CP_NODE_FLAGS='--cpu-prof --cpu-prof-dir=prof' profiles the control plane alone.
  const extraFlags = (process.env.BENCH_CP_NODE_FLAGS ?? '').split(' ').filter(Boolean);
  const child = spawn(
    process.execPath,
    [...RUNTIME_FLAGS, ...extraFlags, join(root, 'bench/xds/control-plane.mjs')],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  pin(child.pid, 0);
  // The first JSON line; other lines (from --trace-gc and the like) go on to stderr.
  const info = await new Promise((res) => {
    let found = false;
    createInterface({ input: child.stdout }).on('line', (l) => {
      if (!found && l.startsWith('{')) {
        found = true;
        res(JSON.parse(l));
      } else process.stderr.write(`${l}\n`);
    });
  });
  const rest = async (method, path, body, type = 'application/json') => {
    const r = await fetch(info.url + path, {
      method,
      headers: body ? { 'content-type': type } : {},
      body: typeof body === 'string' ? body : body && JSON.stringify(body),
    });
    const text = await r.text();
    if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${text}`);
    const json = text ? JSON.parse(text) : undefined;
    if (json && r.headers.has('x-meshwork-index')) json.registryIndex = r.headers.get('x-meshwork-index');
    return json;
  };
  const stop = () => child.kill('SIGTERM');
  process.on('exit', stop);
  return { ...info, rest, stop };
}

async function seed(cp) {
  const docs = [];
  for (let i = 0; i < SERVICES; i++) {
    docs.push(
      `apiVersion: v1\nkind: Service\nmetadata: { name: svc-${i} }\nspec: { ports: [{ port: 8080, name: http }] }\n`,
    );
    docs.push(
      `apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: { name: svc-${i} }\nspec:\n  host: svc-${i}\n  trafficPolicy: { connectionPool: { tcp: { maxConnections: 100 } }, outlierDetection: { consecutive5xxErrors: 5, interval: 10s, baseEjectionTime: 30s } }\n  subsets: [{ name: v1, labels: { version: v1 } }, { name: v2, labels: { version: v2 } }]\n`,
    );
    docs.push(vs(i, 'seed', 90));
    for (let k = 0; k < INSTANCES; k++) {
      await cp.rest('POST', '/v1/registry/instances', {
        service: `svc-${i}`,
        instanceId: `svc-${i}-${k}`,
        address: '127.0.0.1',
        port: 20000 + i * 10 + k,
        sidecarPort: 30000 + i * 10 + k,
        version: k % 2 === 0 ? 'v1' : 'v2',
      });
    }
  }
  await cp.rest('POST', '/v1/resources', docs.join('---\n'), 'application/yaml');
}

/** Medians over rounds of what the control plane reports for its own part of each change. */
function serverSide(reports) {
  const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  return {
    acked: reports.every((r) => r.proxies.acked === r.proxies.total && r.proxies.nacked === 0),
    total: reports[0]?.proxies.total ?? 0,
    deliveredMs: median(reports.map((r) => r.deliveredMs)),
    p99Ms: median(reports.map((r) => r.convergenceMs.p99)),
  };
}

/** Starts the simulated sidecars, split over `procs` worker processes. */
async function startClients(mode, xdsAddress, procs) {
  const per = Math.ceil(CLIENTS / procs);
  const workers = [];
  const starting = [];
  for (let from = 0; from < CLIENTS; from += per) {
    const worker = fork(join(root, 'bench/xds/client-worker.mjs'), [], {
      execArgv: [...RUNTIME_FLAGS, ...(process.env.BENCH_CLIENT_NODE_FLAGS ?? '').split(' ').filter(Boolean)],
    });
    pin(worker.pid, 1);
    const count = Math.min(per, CLIENTS - from);
    starting.push(
      next(worker, 'ready').then(() =>
        worker.send({ type: 'start', mode, xdsAddress, from, count, services: SERVICES }),
      ),
    );
    workers.push(worker);
  }
  await Promise.all(starting);
  function next(worker, type) {
    return new Promise((res) => {
      const onMessage = (msg) => {
        if (msg.type !== type) return;
        worker.off('message', onMessage);
        res(msg);
      };
      worker.on('message', onMessage);
    });
  }
  const all = (type) => Promise.all(workers.map((w) => next(w, type)));
  return {
    synced: () => all('synced'),
    /** Arms every worker for (typeUrl, marker); `done` resolves the arrivals (epoch ms) of all clients. */
    async arm(typeUrl, marker) {
      const done = all('done');
      const armed = Promise.all(workers.map((w) => next(w, 'armed')));
      for (const w of workers) w.send({ type: 'arm', typeUrl, marker });
      const cpuAtArm = (await armed).reduce((sum, m) => sum + m.cpuUs, 0);
      return { done, cpuAtArm };
    },
    close: () => {
      for (const w of workers) w.send({ type: 'close' });
    },
  };
}

/** BENCH_PIN=1: the control plane on the first core, the clients on the second. */
function pin(pid, core) {
  if (process.env.BENCH_PIN !== '1' || cpus().length < 2) return;
  spawnSync('taskset', ['-p', '-c', String(core), String(pid)], { stdio: 'ignore' });
}

/** Median CPU per change of the control plane and of all client processes together. */
function cpuPerChange(runs) {
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  return {
    controlPlaneMs: median(runs.map((r) => r.cpCpuMs)),
    clientsMs: median(runs.map((r) => r.clientCpuMs)),
  };
}

/** Runs one ADS variant end to end against a fresh control plane. */
async function runMode(mode, procs = CLIENT_PROCS) {
  const cp = await startControlPlane();
  await seed(cp);
  const connectStart = performance.now();
  const clients = await startClients(mode, cp.xdsAddress, procs);
  await clients.synced();
  const connectMs = performance.now() - connectStart;
  await sleep(500);
  const idle = await cp.rest('GET', '/debug/process');

  const cpuOf = (p) => (p.cpuUserUs + p.cpuSystemUs) / 1000;
  /** Times one change; also the CPU it cost the control plane and, until the last arrival, the clients. */
  const measure = async (typeUrl, marker, act) => {
    const { done: arrived, cpuAtArm } = await clients.arm(typeUrl, marker);
    const cpBefore = cpuOf(await cp.rest('GET', '/debug/process'));
    const startedAt = epochNow();
    const result = await act();
    let timer;
    const timeout = new Promise((_, rej) => {
      timer = setTimeout(() => rej(new Error(`${mode}: not every client converged in 60 s`)), 60_000);
    });
    const done = await Promise.race([arrived, timeout]);
    clearTimeout(timer);
    const arrivals = done.flatMap((m) => m.arrivals);
    const clientCpuMs = (done.reduce((sum, m) => sum + m.cpuUs, 0) - cpuAtArm) / 1000;
    await sleep(200); // every ACK is in
    const cpCpuMs = cpuOf(await cp.rest('GET', '/debug/process')) - cpBefore;
    return { times: arrivals.map((t) => t - startedAt).sort((a, b) => a - b), result, cpCpuMs, clientCpuMs };
  };

  const routeRuns = [];
  const endpointRuns = [];
  const routeCpu = [];
  const endpointCpu = [];
  const serverRoute = [];
  const serverEndpoint = [];
  let cpuStart;
  let wallStart;
  for (let round = -WARMUP; round < ROUNDS; round++) {
    if (round === 0) {
      cpuStart = await cp.rest('GET', '/debug/process');
      wallStart = performance.now();
    }
    const marker = `${mode}-round-${round}`;
    const r = await measure(RDS, marker, () =>
      cp.rest('POST', '/v1/resources', vs(0, marker, round % 2 === 0 ? 10 : 90), 'application/yaml'),
    );
    const report = await cp.rest('GET', `/changes/${r.result.changeId}`);
    // A new instance on a fresh address; its address text in the assignment bytes marks arrival.
    const address = `127.1.${Math.floor((round + WARMUP) / 250)}.${((round + WARMUP) % 250) + 2}`;
    const e = await measure(EDS, address, () =>
      cp.rest('POST', '/v1/registry/instances', {
        service: 'svc-1',
        instanceId: `svc-1-extra-${round + WARMUP}`,
        address,
        port: 20011,
        sidecarPort: 30011,
        version: 'v1',
      }),
    );
    if (round < 0) continue; // warm-up
    routeRuns.push(r.times);
    endpointRuns.push(e.times);
    routeCpu.push(r);
    endpointCpu.push(e);
    serverRoute.push(report);
    serverEndpoint.push(await cp.rest('GET', `/changes/registry-${e.result.registryIndex}`));
  }
  const wallMs = performance.now() - wallStart;
  const cpuEnd = await cp.rest('GET', '/debug/process');
  clients.close();
  cp.stop();
  const summarize = (runs) => {
    const all = runs.flat().sort((a, b) => a - b);
    return {
      p50: pct(all, 50),
      p99: pct(all, 99),
      max: all.at(-1),
      perRoundP99: runs.map((t) => pct(t, 99)),
    };
  };
  return {
    mode,
    debounceMs: cp.debounceMs,
    connectMs,
    idle,
    end: cpuEnd,
    wallMs,
    cpuMs: (cpuEnd.cpuUserUs + cpuEnd.cpuSystemUs - cpuStart.cpuUserUs - cpuStart.cpuSystemUs) / 1000,
    route: { ...summarize(routeRuns), cpu: cpuPerChange(routeCpu) },
    endpoint: { ...summarize(endpointRuns), cpu: cpuPerChange(endpointCpu) },
    server: { route: serverSide(serverRoute), endpoint: serverSide(serverEndpoint) },
  };
}

const loadAtStart = loadavg()[0];
const results = [];
for (const mode of MODES) {
  results.push(await runMode(mode));
  await sleep(1000);
}
// Unless a split was asked for, the same changes again with every sidecar in one process, as
// the issue's bench describes it: one thread then reads all 1,000 responses of a change.
const oneProcess = [];
if (!process.env.BENCH_CLIENT_PROCS && CLIENT_PROCS > 1) {
  for (const mode of MODES) {
    oneProcess.push(await runMode(mode, 1));
    await sleep(1000);
  }
}

const mb = (b) => (b / 1024 / 1024).toFixed(0);
const f = (ms) => `${ms.toFixed(0)} ms`;
const label = { sotw: 'state of the world', delta: 'delta' };
const lines = [
  '## xDS',
  '',
  `\`node bench/xds/run.mjs\` — ${CLIENTS} simulated sidecars split over ${CLIENT_PROCS} client process${CLIENT_PROCS > 1 ? 'es' : ''}, each an ADS client on its own gRPC connection that ACKs every response, against the control plane in a child process. ${SERVICES} services × ${INSTANCES} instances, each with a DestinationRule (2 subsets, pool limits, outlier detection) and a weighted VirtualService: every proxy holds ${SERVICES * 3 + 1} clusters, ${SERVICES * 3} assignments, 2 listeners, 1 route table. Push debounce ${results[0].debounceMs} ms. Per variant: a fresh control plane, ${WARMUP} warm-up rounds, then ${ROUNDS} rounds of each change; time per proxy from the REST call until the proxy holds the new config. The simulated sidecars speak gRPC ${process.env.BENCH_CLIENT === 'grpc-js' ? 'with @grpc/grpc-js clients' : 'with a minimal client on node:http2 (length-prefixed messages on one POST stream)'}, decode each DiscoveryResponse and ACK it. Machine: ${cpus().length} cores shared with other work (load average ${loadAtStart.toFixed(1)} at the start), Node ${process.version}; the clients and the control plane share those cores; the control plane runs ${onSources ? 'on the TypeScript sources (tsx)' : 'from the build'}.`,
  '',
  '| ADS variant | change | p50 | p99 | max | target |',
  '|---|---|---|---|---|---|',
];
for (const r of results) {
  lines.push(
    `| ${label[r.mode]} | route (VirtualService apply → RDS) | ${f(r.route.p50)} | ${f(r.route.p99)} | ${f(r.route.max)} | p99 < 200 ms |`,
  );
  lines.push(
    `| ${label[r.mode]} | endpoint (registration → EDS of one cluster) | ${f(r.endpoint.p50)} | ${f(r.endpoint.p99)} | ${f(r.endpoint.max)} | p99 < 200 ms |`,
  );
}
lines.push(
  '',
  'What the control plane reports for its own part (`GET /changes/<id>`, median over the rounds): "handed over" is from seeing the change to the last proxy\'s snapshot written to its stream (debounce included); "all ACKed p99" adds the trip to the clients and back.',
  '',
  '| ADS variant | change | every proxy ACKed | handed over | all ACKed p99 | control-plane CPU per change | client CPU per change |',
  '|---|---|---|---|---|---|---|',
);
for (const r of results) {
  for (const [name, s, cpu] of [
    ['route', r.server.route, r.route.cpu],
    ['endpoint', r.server.endpoint, r.endpoint.cpu],
  ]) {
    lines.push(
      `| ${label[r.mode]} | ${name} | ${s.acked ? `yes (${s.total})` : 'no'} | ${f(s.deliveredMs)} | ${f(s.p99Ms)} | ${f(cpu.controlPlaneMs)} | ${f(cpu.clientsMs)} |`,
    );
  }
}
if (oneProcess.length > 0) {
  lines.push(
    '',
    `The same, with all ${CLIENTS} simulated sidecars in one client process (the process then reads every response of a change on one thread):`,
    '',
    '| ADS variant | change | p50 | p99 | max | control-plane CPU per change | client CPU per change |',
    '|---|---|---|---|---|---|---|',
  );
  for (const r of oneProcess) {
    for (const [name, x] of [
      ['route', r.route],
      ['endpoint', r.endpoint],
    ]) {
      lines.push(
        `| ${label[r.mode]} | ${name} | ${f(x.p50)} | ${f(x.p99)} | ${f(x.max)} | ${f(x.cpu.controlPlaneMs)} | ${f(x.cpu.clientsMs)} |`,
      );
    }
  }
}
lines.push(
  '',
  `| ADS variant | RSS, ${CLIENTS} proxies idle | RSS after the rounds | CPU during the rounds | connect + full sync |`,
  '|---|---|---|---|---|',
);
for (const r of results) {
  lines.push(
    `| ${label[r.mode]} | ${mb(r.idle.rssBytes)} MB (heap ${mb(r.idle.heapUsedBytes)} MB) | ${mb(r.end.rssBytes)} MB | ${r.cpuMs.toFixed(0)} ms in ${(r.wallMs / 1000).toFixed(1)} s (${((r.cpuMs / r.wallMs) * 100).toFixed(0)}% of a core) | ${f(r.connectMs)} |`,
  );
}
lines.push(
  '',
  `Per-round p99: ${results.map((r) => `${label[r.mode]} route ${r.route.perRoundP99.map(f).join(', ')}; endpoint ${r.endpoint.perRoundP99.map(f).join(', ')}`).join('. ')}.`,
  '',
  `Reading it: the simulated sidecars run in ${CLIENT_PROCS} process${CLIENT_PROCS > 1 ? 'es' : ''} beside the control plane on the same ${cpus().length} cores, so the tail includes waiting for a core; the second table is the control plane's own account ("handed over" includes the ${results[0].debounceMs} ms debounce) and what each change cost in CPU, the control plane's and all client processes' together. Per change, the control plane writes one response to each of the ${CLIENTS} streams and reads one ACK from each. In state-of-the-world mode the ADS server sends RDS and EDS changes alone (the xDS protocol requires the whole set only for LDS and CDS); a snapshot built from the previous one names what changed, so a stream looks at those names only; streams served the same content are written the same bytes under one nonce (nonces are unique per stream, as the protocol asks); an ACK that restates its subscription is recognised by comparing the encoded names, which are never decoded. On this shared machine the p99s move by a few tens of milliseconds between runs.`,
  '',
  'Targets: p99 under 200 ms and RSS under 300 MB at 1,000 proxies. For comparison, istiod debounces pushes by 100 ms (`PILOT_DEBOUNCE_AFTER`) and users of large meshes report 1.5–35 s from a config change to all proxies converged.',
  '',
);
const section = lines.join('\n');
console.log(section);
if (write) updateResults(section);
process.exit(0);

function updateResults(text) {
  const file = join(root, 'bench', 'RESULTS.md');
  let doc = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmark results\n';
  const start = doc.search(/^## xDS\s*$/m);
  if (start < 0) doc = `${doc.trimEnd()}\n\n${text}`;
  else {
    const rest = doc.slice(start + 1);
    const next = rest.search(/^## /m);
    doc = doc.slice(0, start) + text + (next < 0 ? '' : `\n${rest.slice(next)}`);
  }
  writeFileSync(file, `${doc.trimEnd()}\n`);
  // Keep the file as the formatter wants it (tables aligned), so lint stays clean.
  spawnSync('npx', ['biome', 'format', '--write', file], { cwd: root, stdio: 'ignore' });
}
