#!/usr/bin/env node
// Proxy benchmark: nginx, haproxy, node-http-proxy, @fastify/http-proxy and Meshwork's proxy in
// front of the same nginx upstream (3-byte body), each proxy pinned to core 1, the load generator
// and the upstream on core 0. Measures requests/s (wrk -t1 -c50 -d5s, HTTP/1.1 keep-alive), added
// latency at a fixed 1,000 req/s over a direct call, and idle RSS; writes the "Proxy" section of
// bench/RESULTS.md.
//
// usage: node bench/proxy/run.mjs [--duration 5] [--rounds 3] [--only meshwork,nginx] [--no-write]
// Each figure is the best of `rounds` interleaved runs; CPU µs/req (the proxy's own CPU time per
// request under wrk) is the figure least disturbed by other load on the machine.
// needs: nginx, haproxy, wrk (apt-get install -y nginx haproxy wrk), a built workspace (npm run build).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const duration = Number(opt('duration', '5'));
const rounds = Number(opt('rounds', '3'));
const only = opt('only', '')?.split(',').filter(Boolean);
const write = !args.includes('--no-write');
const work = mkdtempSync(join(tmpdir(), 'meshwork-bench-'));
const PORTS = {
  upstream: 28081,
  nginx: 28082,
  haproxy: 28083,
  'node-http-proxy': 28084,
  'fastify-http-proxy': 28085,
  meshwork: 28086,
};
/** h2c (prior knowledge) ports of the proxies that accept HTTP/2 downstream; upstreams stay HTTP/1.1. */
const H2_PORTS = { nginx: 28092, haproxy: 28093, meshwork: 28086 };
const children = [];

function sh(cmd, argv, opts = {}) {
  return execFileSync(cmd, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...opts });
}

function start(name, cmd, argv, core) {
  const child = spawn('taskset', ['-c', String(core), cmd, ...argv], { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr.on('data', (d) => process.env.BENCH_VERBOSE && process.stderr.write(`[${name}] ${d}`));
  children.push(child);
  return child;
}

async function waitForPort(port, timeoutMs = 10_000) {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    try {
      sh('curl', ['-s', '-o', '/dev/null', '-m', '1', `http://127.0.0.1:${port}/`]);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`nothing answered on port ${port}`);
}

function rssKb(pids) {
  let total = 0;
  for (const pid of pids) {
    try {
      total += Number(readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)[1]);
    } catch {}
  }
  return total;
}

function descendants(pid) {
  const out = [pid];
  try {
    for (const c of sh('pgrep', ['-P', String(pid)])
      .split('\n')
      .filter(Boolean))
      out.push(...descendants(Number(c)));
  } catch {}
  return out;
}

function h2load(port) {
  try {
    const out = sh('taskset', [
      '-c',
      '0',
      'h2load',
      '-c50',
      '-m10',
      '-D',
      String(duration),
      `http://127.0.0.1:${port}/`,
    ]);
    const m = out.match(/finished in [\d.]+\w+, ([\d.]+) req\/s/);
    const failed = Number(out.match(/(\d+) failed/)?.[1] ?? 0);
    return m && failed === 0 ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

function fixedRate(port) {
  const out = sh('taskset', [
    '-c',
    '0',
    process.execPath,
    join(here, 'fixed-rate.mjs'),
    String(port),
    '1000',
    String(duration),
  ]);
  return JSON.parse(out.trim().split('\n').pop());
}

function nginxConf(name, body) {
  const file = join(work, `${name}.conf`);
  writeFileSync(
    file,
    `worker_processes 1;\ndaemon off;\npid ${work}/${name}.pid;\nerror_log ${work}/${name}.err;\nevents { worker_connections 4096; }\nhttp {\n  access_log off;\n  client_body_temp_path ${work}/body; proxy_temp_path ${work}/proxy;\n${body}\n}\n`,
  );
  return file;
}

const upstreamConf = nginxConf(
  'upstream',
  `  server { listen 127.0.0.1:${PORTS.upstream}; keepalive_requests 1000000; location / { return 200 "ok\\n"; } }`,
);

const peers = {
  nginx: () => {
    const conf = nginxConf(
      'nginx-proxy',
      `  upstream u { server 127.0.0.1:${PORTS.upstream}; keepalive 64; keepalive_requests 1000000; }\n  server { listen 127.0.0.1:${PORTS.nginx}; listen 127.0.0.1:${H2_PORTS.nginx} http2; keepalive_requests 1000000; location / { proxy_pass http://u; proxy_http_version 1.1; proxy_set_header Connection ""; } }`,
    );
    return start('nginx', 'nginx', ['-c', conf, '-p', work], 1);
  },
  haproxy: () => {
    const conf = join(work, 'haproxy.cfg');
    writeFileSync(
      conf,
      `global\n  nbthread 1\n  maxconn 4096\ndefaults\n  mode http\n  timeout connect 5s\n  timeout client 30s\n  timeout server 30s\n  http-reuse always\nfrontend f\n  bind 127.0.0.1:${PORTS.haproxy}\n  bind 127.0.0.1:${H2_PORTS.haproxy} proto h2\n  default_backend b\nbackend b\n  server s1 127.0.0.1:${PORTS.upstream}\n`,
    );
    return start('haproxy', 'haproxy', ['-f', conf, '-db'], 1);
  },
  'node-http-proxy': () =>
    start(
      'node-http-proxy',
      process.execPath,
      [join(here, 'peers/node-http-proxy.mjs'), String(PORTS['node-http-proxy']), String(PORTS.upstream)],
      1,
    ),
  'fastify-http-proxy': () =>
    start(
      'fastify-http-proxy',
      process.execPath,
      [
        join(here, 'peers/fastify-http-proxy.mjs'),
        String(PORTS['fastify-http-proxy']),
        String(PORTS.upstream),
      ],
      1,
    ),
  meshwork: () => {
    const conf = join(work, 'meshwork.yaml');
    writeFileSync(conf, meshworkBootstrap(PORTS.meshwork, PORTS.upstream));
    return start(
      'meshwork',
      process.execPath,
      [join(root, 'packages/cli/bin/meshwork.js'), 'proxy', '--config', conf],
      1,
    );
  },
};

function meshworkBootstrap(port, upstream) {
  return `static_resources:
  listeners:
  - name: main
    address: { socket_address: { address: 127.0.0.1, port_value: ${port} } }
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: bench
          route_config:
            virtual_hosts: [{ name: all, domains: ["*"], routes: [{ match: { prefix: "/" }, route: { cluster: upstream } }] }]
          http_filters:
          - name: envoy.filters.http.router
            typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
  clusters:
  - name: upstream
    type: STATIC
    connect_timeout: 1s
    load_assignment:
      cluster_name: upstream
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: ${upstream} } } } }] }]
`;
}

function cpuTicks(pids) {
  let t = 0;
  for (const pid of pids) {
    try {
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      t += Number(f[11]) + Number(f[12]);
    } catch {}
  }
  return t;
}

/** Throughput of one peer: wrk req/s and the proxy's CPU time per request (µs, contention-proof). */
function measureThroughput(name, pids) {
  const t0 = cpuTicks(pids);
  const t0Wall = Date.now();
  const out = sh('taskset', [
    '-c',
    '0',
    'wrk',
    '-t1',
    '-c50',
    `-d${duration}s`,
    `http://127.0.0.1:${PORTS[name]}/`,
  ]);
  const ticks = cpuTicks(pids) - t0;
  const requests = Number(out.match(/(\d+) requests in/)[1]);
  return {
    rps: Number(out.match(/Requests\/sec:\s+([\d.]+)/)[1]),
    non2xx: Number(out.match(/Non-2xx or 3xx responses:\s+(\d+)/)?.[1] ?? 0),
    cpuUsPerReq: (ticks * 10_000) / requests,
    wallMs: Date.now() - t0Wall,
  };
}

async function main() {
  if (!existsSync(join(root, 'packages/proxy/dist/index.js')))
    throw new Error('build first: npx tsc -b packages/cli');
  start('upstream', 'nginx', ['-c', upstreamConf, '-p', work], 0);
  await waitForPort(PORTS.upstream);
  const names = Object.keys(peers).filter((n) => only.length === 0 || only.includes(n));
  // All proxies run side by side (idle ones cost nothing); measurements interleave in rounds so a
  // burst of load from elsewhere on the machine does not land on one peer only.
  const pids = {};
  for (const name of names) {
    const child = peers[name]();
    await waitForPort(PORTS[name]);
    pids[name] = descendants(child.pid);
  }
  await new Promise((r) => setTimeout(r, 1000));
  const results = Object.fromEntries(
    names.map((n) => [
      n,
      {
        name: n,
        rps: 0,
        cpuUsPerReq: Infinity,
        non2xx: 0,
        h2rps: null,
        p50: Infinity,
        p99: Infinity,
        rssMb: rssKb(pids[n]) / 1024,
      },
    ]),
  );
  for (const name of names) fixedRate(PORTS[name]); // warm-up (JIT, pools)
  let direct = { p50: Infinity, p99: Infinity };
  for (let round = 0; round < rounds; round++) {
    const d = fixedRate(PORTS.upstream);
    direct = { p50: Math.min(direct.p50, d.p50), p99: Math.min(direct.p99, d.p99) };
    for (const name of names) {
      const r = results[name];
      const lat = fixedRate(PORTS[name]);
      r.p50 = Math.min(r.p50, lat.p50);
      r.p99 = Math.min(r.p99, lat.p99);
      const t = measureThroughput(name, pids[name]);
      r.rps = Math.max(r.rps, t.rps);
      r.cpuUsPerReq = Math.min(r.cpuUsPerReq, t.cpuUsPerReq);
      r.non2xx += t.non2xx;
      if (H2_PORTS[name]) r.h2rps = Math.max(r.h2rps ?? 0, h2load(H2_PORTS[name]) ?? 0) || null;
      console.log(`round ${round + 1}`, name, JSON.stringify(t));
    }
  }
  for (const r of Object.values(results)) {
    r.p50 -= direct.p50;
    r.p99 -= direct.p99;
  }
  report(direct, Object.values(results));
}

const loadAvg = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

function report(direct, results) {
  const nginx = results.find((r) => r.name === 'nginx')?.rps;
  const bestNode = Math.max(
    ...results.filter((r) => r.name.includes('node') || r.name.includes('fastify')).map((r) => r.rps),
    0,
  );
  const f = (n, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
  const rows = results.map(
    (r) =>
      `| ${r.name} | ${f(r.rps)} | ${nginx ? f(r.rps / nginx, 2) : '–'} | ${bestNode ? f(r.rps / bestNode, 2) : '–'} | ${f(r.cpuUsPerReq, 1)} | ${r.h2rps ? f(r.h2rps) : '–'} | ${f(r.p50, 3)} | ${f(r.p99, 3)} | ${f(r.rssMb, 1)} |${r.non2xx ? ` ${r.non2xx} non-2xx` : ''}`,
  );
  const cpu = readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/)?.[1] ?? 'unknown CPU';
  const section = `## Proxy

${new Date().toISOString().slice(0, 10)} · ${cpu} · Node ${process.version} · \`node bench/proxy/run.mjs --duration ${duration} --rounds ${rounds}\`

Each proxy pinned to core 1 (\`taskset -c 1\`); wrk, the latency generator and the nginx upstream
(3-byte body, keep-alive) on core 0. Throughput: \`taskset -c 0 wrk -t1 -c50 -d${duration}s\` (HTTP/1.1
keep-alive); h2c: \`taskset -c 0 h2load -c50 -m10 -D ${duration}\` where the proxy accepts HTTP/2 prior
knowledge (upstream still HTTP/1.1). Added latency: \`bench/proxy/fixed-rate.mjs\` at a fixed 1,000 req/s over 16 keep-alive
connections, minus the same run against the upstream directly (direct p50 ${f(direct.p50, 3)} ms, p99
${f(direct.p99, 3)} ms). RSS: the proxy process(es) idle, after start-up. The machine is shared, so
compare ratios within one run; each figure is the best of ${rounds} interleaved rounds, and CPU µs/req
(the proxy's own CPU time per request under wrk) is the least noise-sensitive (load average when the run started: ${loadAvg}).

| proxy (one core) | HTTP/1.1 req/s | vs nginx | vs best Node peer | CPU µs/req | h2c req/s (h2load) | added p50 ms | added p99 ms | idle RSS MB |
|---|---|---|---|---|---|---|---|---|
${rows.join('\n')}

Targets: ≥ 2× the best Node peer, ≥ 0.30 of nginx, added p50 < 0.3 ms and p99 < 1.5 ms at 1,000 req/s, idle RSS < 60 MB.
`;
  console.log(`\n${section}`);
  if (!write) return;
  const file = join(root, 'bench/RESULTS.md');
  let doc = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmark results\n';
  const startIdx = doc.indexOf('## Proxy\n');
  if (startIdx >= 0) {
    const next = doc.indexOf('\n## ', startIdx + 1);
    doc = doc.slice(0, startIdx) + section + (next >= 0 ? doc.slice(next + 1) : '');
  } else doc = `${doc.trimEnd()}\n\n${section}`;
  writeFileSync(file, doc);
}

try {
  await main();
} finally {
  for (const c of children) {
    for (const pid of descendants(c.pid).reverse()) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {}
    }
  }
}
