/**
 * `meshwork up [-f system.yaml]` — runs a whole system on this machine (default: the reference
 * shop): control plane, gateway, and every service instance with its sidecar. Ctrl-C stops it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from '../main.js';
import { parseArgs, portOption } from '../up/args.js';
import { MeshError } from '../up/errors.js';
import { Orchestrator } from '../up/orchestrator.js';

const SHOP_SPEC = fileURLToPath(new URL('../../../../examples/shop/meshwork.yaml', import.meta.url));
const CLI_BIN = fileURLToPath(new URL('../../bin/meshwork.js', import.meta.url));
const COMMANDS = fileURLToPath(new URL('./', import.meta.url));

const USAGE = `usage: meshwork up [-f system.yaml] [options]

  -f, --file <path>          system to run (default: the reference shop)
  --mesh                     control plane, gateway proxy and a sidecar per instance (the default
                             once the proxy takes its configuration over xDS)
  --no-mesh                  no proxies: services find each other through the control plane's
                             registry (proxyless, with retry + circuit breaker + time limit) and a
                             built-in edge router serves the gateway routes
  --direct                   like --no-mesh but without the control plane: fixed endpoint lists
  --sidecars <how>           mesh mode: shared (default; every instance's sidecar, with its own
                             listeners, admin port and xDS identity, in one host process) or
                             per-instance (one \`meshwork proxy\` process each)
  --state-dir <dir>          logs, data and state (default: .meshwork/up)
  --db <postgres://…>        PostgreSQL for every service instead of SQLite files
  --gateway-port <n>         default 8080 (0 = any free port)
  --control-plane-port <n>   default 15080
  --xds-port <n>             default 15010
  --log-level <level>        services' log level (default: info)
  --fresh                    delete the state dir's data first (seeded stock, no orders)
  --plain                    plain progress lines even on a terminal`;

/**
 * True when this CLI can run the mesh: a `control-plane` verb, and a `proxy` verb that takes its
 * configuration over xDS (`--xds`). Until both exist, `up` wires services directly.
 */
function verbExists(verb: string): boolean {
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return existsSync(`${COMMANDS}${verb}${ext}`);
}

function meshAvailable(): boolean {
  if (!verbExists('control-plane') || !verbExists('proxy')) return false;
  const help = spawnSync(process.execPath, [CLI_BIN, 'proxy', '--help'], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  return `${help.stdout}${help.stderr}`.includes('--xds');
}

/** Picks mesh / proxyless / direct from the flags and what this CLI can run. */
function chooseMode(args: Map<string, string | true>): { mesh: boolean; discovery: 'registry' | 'static' } {
  if (args.has('--direct')) return { mesh: false, discovery: 'static' };
  const registry = verbExists('control-plane') ? 'registry' : 'static';
  if (args.has('--no-mesh')) return { mesh: false, discovery: registry };
  if (args.has('--mesh')) {
    if (!meshAvailable())
      throw new MeshError('MESH_ERR_USAGE', '--mesh needs the control-plane and proxy (--xds) commands');
    return { mesh: true, discovery: 'registry' };
  }
  return meshAvailable() ? { mesh: true, discovery: 'registry' } : { mesh: false, discovery: registry };
}

async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  const args = parseArgs(
    argv,
    [
      '--file',
      '--state-dir',
      '--db',
      '--gateway-port',
      '--control-plane-port',
      '--xds-port',
      '--log-level',
      '--sidecars',
    ],
    ['--mesh', '--no-mesh', '--direct', '--plain', '--fresh'],
    { '-f': '--file' },
  );
  const mode = chooseMode(args);
  const sidecars = args.get('--sidecars') ?? 'shared';
  if (sidecars !== 'shared' && sidecars !== 'per-instance') {
    throw new MeshError('MESH_ERR_USAGE', `--sidecars must be "shared" or "per-instance", got "${sidecars}"`);
  }
  const db = args.get('--db');
  const orchestrator = new Orchestrator({
    specFile: resolve(String(args.get('--file') ?? SHOP_SPEC)),
    mesh: mode.mesh,
    discovery: mode.discovery,
    stateDir: resolve(String(args.get('--state-dir') ?? '.meshwork/up')),
    databaseUrl: typeof db === 'string' ? db : process.env.DATABASE_URL,
    gatewayPort: portOption(args, '--gateway-port', 8080),
    controlPlanePort: portOption(args, '--control-plane-port', 15080),
    xdsPort: portOption(args, '--xds-port', 15010),
    logLevel: String(args.get('--log-level') ?? 'info'),
    cliBin: CLI_BIN,
    out: process.stdout,
    live: args.has('--plain') ? false : undefined,
    fresh: args.has('--fresh'),
    sidecars,
    explicitPorts: new Set(
      (
        [
          ['--gateway-port', 'gateway'],
          ['--control-plane-port', 'control plane API'],
          ['--xds-port', 'control plane xDS'],
        ] as const
      )
        .filter(([flag]) => args.has(flag))
        .map(([, what]) => what),
    ),
  });
  let signalled = false;
  const stopped = new Promise<number>((resolveExit) => {
    const onSignal = (signal: NodeJS.Signals) => {
      if (signalled) return void console.log(`(${signal} again: already stopping)`);
      signalled = true;
      console.log(`\n${signal}: stopping everything…`);
      orchestrator.down().then(
        () => {
          console.log('stopped.');
          resolveExit(0);
        },
        (err: unknown) => {
          console.error(`stop failed: ${(err as Error).message}`);
          resolveExit(1);
        },
      );
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  try {
    await orchestrator.up();
  } catch (err) {
    // Ctrl-C during startup: the stop already under way is the outcome, not a failure.
    if (signalled) return stopped;
    const lines = (err as { lastLines?: string[] }).lastLines;
    console.error(`meshwork up failed: ${(err as Error).message}`);
    if (lines?.length) console.error(lines.map((l) => `    ${l}`).join('\n'));
    return 1;
  }
  return stopped;
}

/** Usage errors exit 2 with the problem and a pointer to --help; everything else propagates. */
async function runChecked(argv: string[]): Promise<number> {
  try {
    return await run(argv);
  } catch (err) {
    if ((err as { code?: string }).code !== 'MESH_ERR_USAGE') throw err;
    console.error(`meshwork up: ${(err as Error).message} (see \`meshwork up --help\`)`);
    return 2;
  }
}

/** The `up` verb. */
export const command: Command = {
  summary: 'run a whole system (default: the reference shop) with its mesh on this machine',
  run: runChecked,
};
