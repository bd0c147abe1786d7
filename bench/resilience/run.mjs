#!/usr/bin/env node
// Per-call overhead of @meshwork/resilience policies against opossum and cockatiel doing the
// same work, in one process. Each case awaits a policy-wrapped call of an async function that
// resolves at once; overhead = its best ns/call minus the best ns/call of a bare `await fn()`.
// Rounds interleave the cases so machine noise spreads evenly; the best round counts.
//
//   npm run bench:resilience            (builds packages/resilience first)
//   node bench/resilience/run.mjs --no-write   (print only, leave bench/RESULTS.md alone)
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
execFileSync('npx', ['tsc', '-b', 'packages/resilience'], { cwd: root, stdio: 'inherit' });
const mesh = await import(pathToFileURL(join(root, 'packages/resilience/dist/index.js')).href);
const cockatiel = await import('cockatiel');
const { default: OpossumBreaker } = await import('opossum');

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 120);
const write = !process.argv.includes('--no-write');
const loadAtStart = loadavg()[0];

const fn = async () => 1;

// ---- the policies under test, configured to do the same work -------------------------------
const m = {
  breaker: new mesh.CircuitBreaker('bench', { slidingWindowType: 'COUNT_BASED', slidingWindowSize: 100 }),
  untimed: new mesh.CircuitBreaker('bench-untimed', {
    slidingWindowSize: 100,
    slowCallDurationThresholdMs: Infinity,
  }),
  consecutive: new mesh.ConsecutiveBreaker('bench', { failureThreshold: 5 }),
  syncBreaker: new mesh.CircuitBreaker('bench-sync', { slidingWindowSize: 100 }),
  retry: new mesh.Retry('bench', { maxAttempts: 3, waitDurationMs: 500 }),
  bulkhead: new mesh.Bulkhead('bench', { maxConcurrentCalls: 10 }),
  timeout: new mesh.TimeLimiter('bench', { timeoutDurationMs: 1000 }),
};
m.wrap = mesh.wrap(
  new mesh.Retry('w', { maxAttempts: 3, waitDurationMs: 500 }),
  new mesh.CircuitBreaker('w', { slidingWindowSize: 100 }),
  new mesh.Bulkhead('w', { maxConcurrentCalls: 10 }),
  new mesh.TimeLimiter('w', { timeoutDurationMs: 1000 }),
);
const clock = mesh.systemClock;
const syncBreaker = m.syncBreaker;
async function meshSyncBreaker() {
  if (!syncBreaker.tryAcquirePermission()) throw new Error('open');
  const start = clock.now();
  try {
    const value = await fn();
    syncBreaker.onSuccess(clock.now() - start);
    return value;
  } catch (error) {
    syncBreaker.onError(clock.now() - start, error);
    throw error;
  }
}

const { handleAll } = cockatiel;
const c = {
  breaker: cockatiel.circuitBreaker(handleAll, {
    halfOpenAfter: 60_000,
    breaker: new cockatiel.CountBreaker({ threshold: 0.5, size: 100 }),
  }),
  consecutive: cockatiel.circuitBreaker(handleAll, {
    halfOpenAfter: 30_000,
    breaker: new cockatiel.ConsecutiveBreaker(5),
  }),
  retry: cockatiel.retry(handleAll, { maxAttempts: 2, backoff: new cockatiel.ConstantBackoff(500) }),
  bulkhead: cockatiel.bulkhead(10, 0),
  timeout: cockatiel.timeout(1000, cockatiel.TimeoutStrategy.Cooperative),
};
c.wrap = cockatiel.wrap(
  cockatiel.retry(handleAll, { maxAttempts: 2, backoff: new cockatiel.ConstantBackoff(500) }),
  cockatiel.circuitBreaker(handleAll, {
    halfOpenAfter: 60_000,
    breaker: new cockatiel.CountBreaker({ threshold: 0.5, size: 100 }),
  }),
  cockatiel.bulkhead(10, 0),
  cockatiel.timeout(1000, cockatiel.TimeoutStrategy.Cooperative),
);
// opossum as users run it (its default 10 s timeout arms a timer per call) and without timeout.
const opossum = new OpossumBreaker(fn, {});
const opossumNoTimeout = new OpossumBreaker(fn, { timeout: false });

const cases = [
  ['bare await fn()', () => fn()],
  ['meshwork CircuitBreaker (COUNT_BASED 100) execute', () => m.breaker.execute(fn)],
  ['meshwork CircuitBreaker sync path (tryAcquirePermission/onSuccess)', meshSyncBreaker],
  ['meshwork CircuitBreaker, slow-call detection off (no clock reads)', () => m.untimed.execute(fn)],
  ['meshwork ConsecutiveBreaker execute', () => m.consecutive.execute(fn)],
  ['meshwork Retry (3 attempts, no failures)', () => m.retry.execute(fn)],
  ['meshwork Bulkhead (10)', () => m.bulkhead.execute(fn)],
  ['meshwork TimeLimiter (1 s)', () => m.timeout.execute(fn)],
  ['meshwork wrap(retry, breaker, bulkhead, timeout)', () => m.wrap.execute(fn)],
  ['opossum fire() (defaults: 10 s timeout)', () => opossum.fire()],
  ['opossum fire() (timeout: false)', () => opossumNoTimeout.fire()],
  ['cockatiel circuitBreaker (CountBreaker 100)', () => c.breaker.execute(fn)],
  ['cockatiel circuitBreaker (ConsecutiveBreaker)', () => c.consecutive.execute(fn)],
  ['cockatiel retry (3 attempts, no failures)', () => c.retry.execute(fn)],
  ['cockatiel bulkhead (10)', () => c.bulkhead.execute(fn)],
  ['cockatiel timeout (1 s, cooperative)', () => c.timeout.execute(fn)],
  ['cockatiel wrap(retry, breaker, bulkhead, timeout)', () => c.wrap.execute(fn)],
];

async function timeLoop(run, iterations) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) await run();
  return Number(process.hrtime.bigint() - start) / iterations;
}

// Warm up and size each case so one round takes about ROUND_MS.
const plan = [];
for (const [name, run] of cases) {
  await timeLoop(run, 20_000);
  const ns = await timeLoop(run, 20_000);
  plan.push({ name, run, iterations: Math.max(2_000, Math.round((ROUND_MS * 1e6) / ns)), best: Infinity });
}
for (let round = 0; round < ROUNDS; round++) {
  for (const entry of plan) entry.best = Math.min(entry.best, await timeLoop(entry.run, entry.iterations));
}

const byName = new Map(plan.map((p) => [p.name, p.best]));
const bare = byName.get('bare await fn()');
const overhead = (name) => Math.max(0, byName.get(name) - bare);
const fmt = (ns) => ns.toLocaleString('en-US', { maximumFractionDigits: 0 });
const ratio = (a, b) => `${(overhead(b) / Math.max(overhead(a), 1)).toFixed(1)}×`;

const rows = plan.map(
  (p) => `| ${p.name} | ${fmt(p.best)} | ${p.name === 'bare await fn()' ? '—' : fmt(overhead(p.name))} |`,
);
const comparisons = [
  [
    'circuit breaker vs opossum (defaults)',
    'meshwork CircuitBreaker (COUNT_BASED 100) execute',
    'opossum fire() (defaults: 10 s timeout)',
  ],
  [
    'circuit breaker vs opossum (timeout: false)',
    'meshwork CircuitBreaker (COUNT_BASED 100) execute',
    'opossum fire() (timeout: false)',
  ],
  [
    'circuit breaker vs cockatiel (CountBreaker)',
    'meshwork CircuitBreaker (COUNT_BASED 100) execute',
    'cockatiel circuitBreaker (CountBreaker 100)',
  ],
  [
    'untimed breaker vs cockatiel (CountBreaker, which times nothing)',
    'meshwork CircuitBreaker, slow-call detection off (no clock reads)',
    'cockatiel circuitBreaker (CountBreaker 100)',
  ],
  [
    'consecutive breaker vs cockatiel',
    'meshwork ConsecutiveBreaker execute',
    'cockatiel circuitBreaker (ConsecutiveBreaker)',
  ],
  [
    'retry vs cockatiel',
    'meshwork Retry (3 attempts, no failures)',
    'cockatiel retry (3 attempts, no failures)',
  ],
  ['bulkhead vs cockatiel', 'meshwork Bulkhead (10)', 'cockatiel bulkhead (10)'],
  ['timeout vs cockatiel', 'meshwork TimeLimiter (1 s)', 'cockatiel timeout (1 s, cooperative)'],
  [
    'four-policy wrap vs cockatiel',
    'meshwork wrap(retry, breaker, bulkhead, timeout)',
    'cockatiel wrap(retry, breaker, bulkhead, timeout)',
  ],
].map(
  ([label, ours, theirs]) =>
    `| ${label} | ${fmt(overhead(ours))} | ${fmt(overhead(theirs))} | ${ratio(ours, theirs)} |`,
);

const singles = [
  'meshwork CircuitBreaker (COUNT_BASED 100) execute',
  'meshwork ConsecutiveBreaker execute',
  'meshwork Retry (3 attempts, no failures)',
  'meshwork Bulkhead (10)',
  'meshwork TimeLimiter (1 s)',
];
const worstSingle = Math.max(...singles.map(overhead));
const breakerVsOpossum = overhead('opossum fire() (defaults: 10 s timeout)') / overhead(singles[0]);
const timeoutVsCockatiel =
  overhead('cockatiel timeout (1 s, cooperative)') / overhead('meshwork TimeLimiter (1 s)');
const verdict = (ok) => (ok ? 'met' : '**not met**');
const targets = [
  `| every single policy < 300 ns/call overhead | worst: ${fmt(worstSingle)} ns | ${verdict(worstSingle < 300)} |`,
  `| breaker ≥ 3× faster than opossum \`fire()\` (defaults) | ${breakerVsOpossum.toFixed(1)}× | ${verdict(breakerVsOpossum >= 3)} |`,
  `| timeout ≥ 10× faster than cockatiel's timeout | ${timeoutVsCockatiel.toFixed(1)}× | ${verdict(timeoutVsCockatiel >= 10)} |`,
];

const date = new Date().toISOString().slice(0, 10);
const section = [
  '## Resilience',
  '',
  `Per-call overhead over a bare \`await fn()\` (an async function resolving at once), best of ${ROUNDS} interleaved rounds of ~${ROUND_MS} ms per case, all libraries in one process. ${date}, Node ${process.version}, ${process.platform}/${process.arch}, ${availableParallelism()} cores, 1-minute load average ${loadAtStart.toFixed(1)} at start (the machine is shared; absolute numbers move with load, ratios within one run are what count). Command: \`npm run bench:resilience\` (runs on the built \`packages/resilience/dist\`).`,
  '',
  '| case | ns/call | overhead ns/call |',
  '|---|---:|---:|',
  ...rows,
  '',
  '| comparison | meshwork overhead ns | peer overhead ns | peer ÷ meshwork |',
  '|---|---:|---:|---:|',
  ...comparisons,
  '',
  '| target | this run | |',
  '|---|---:|---|',
  ...targets,
  '',
].join('\n');

console.log(section);
if (write) updateResults(section);

function updateResults(text) {
  const file = join(root, 'bench', 'RESULTS.md');
  let doc = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmark results\n';
  const start = doc.search(/^## Resilience\s*$/m);
  if (start < 0) {
    doc = `${doc.trimEnd()}\n\n${text}`;
  } else {
    const rest = doc.slice(start + 1);
    const next = rest.search(/^## /m);
    const end = next < 0 ? doc.length : start + 1 + next;
    doc = `${doc.slice(0, start)}${text}${next < 0 ? '' : `\n${doc.slice(end)}`}`;
  }
  writeFileSync(file, `${doc.trimEnd()}\n`);
  // The repository's formatter aligns markdown tables; keep the file lint-clean.
  execFileSync('npx', ['biome', 'format', '--write', 'bench/RESULTS.md'], { cwd: root, stdio: 'ignore' });
  console.log(`updated ${file.slice(root.length + 1)}`);
}
