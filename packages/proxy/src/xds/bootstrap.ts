/**
 * Envoy v3 bootstrap loading: YAML or JSON, canonicalised through the xDS codec (so camelCase,
 * snake_case, `@type` Any and duration strings behave as Envoy's own loader makes them), then
 * checked against the subset this proxy supports.
 */

import { fork } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { ProxyConfigError } from '../errors.js';
import { socketAddress } from '../listener/listener-config.js';
import { arr, type Json, obj, str } from './fields.js';

/** A loaded bootstrap in canonical Envoy JSON. */
export interface Bootstrap {
  readonly node: { id: string; cluster: string };
  readonly listeners: unknown[];
  readonly clusters: unknown[];
  /** Admin listener address, or null when the bootstrap has no `admin`. */
  readonly admin: { address: string; port: number } | null;
  /** `dynamic_resources` as given (consumed by the xDS client), or null. */
  readonly dynamicResources: Json | null;
}

/**
 * Parses and validates bootstrap text (YAML or JSON) in this thread. `source` names the file in
 * errors.
 */
export async function parseBootstrap(text: string, source = 'bootstrap'): Promise<Bootstrap> {
  return compileBootstrap(await canonicalBootstrap(text, source));
}

/**
 * YAML/JSON text → canonical Envoy JSON via the xDS codec. The codec is imported on demand:
 * its proto descriptors cost tens of MB, which a proxy started from a file never needs again.
 */
export async function canonicalBootstrap(text: string, source: string): Promise<Json> {
  const { parse: parseYaml } = await import('yaml');
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new ProxyConfigError(source, `not valid YAML/JSON: ${(err as Error).message}`, { cause: err });
  }
  const { normalize, XdsError } = await import('@meshwork/xds');
  try {
    return normalize('envoy.config.bootstrap.v3.Bootstrap', raw) as Json;
  } catch (err) {
    if (err instanceof XdsError) {
      const path = (err as Error & { path?: string }).path ?? '';
      const msg =
        path !== '' && err.message.startsWith(`${path}: `) ? err.message.slice(path.length + 2) : err.message;
      throw new ProxyConfigError(path, msg, { cause: err });
    }
    throw err;
  }
}

/**
 * Reads and parses a bootstrap file. The xDS codec runs in a short-lived child process so its
 * memory is returned when it exits (idle RSS matters for a sidecar).
 */
export async function loadBootstrap(path: string): Promise<Bootstrap> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ProxyConfigError(path, `cannot read bootstrap: ${(err as Error).message}`, { cause: err });
  }
  return compileBootstrap(await canonicalInWorker(text, path));
}

function canonicalInWorker(text: string, source: string): Promise<Json> {
  // A child process rather than a worker thread: a worker's heap goes back to this process's
  // allocator, which keeps ~6 MB of it resident after the worker exits; a process returns it all.
  // Run from TypeScript sources (tests), the child needs this process's loader flags.
  const fromSources = import.meta.url.endsWith('.ts');
  const entry = new URL(fromSources ? './bootstrap-worker.ts' : './bootstrap-worker.js', import.meta.url);
  const child = fork(fileURLToPath(entry), [], {
    execArgv: fromSources ? loaderFlags(process.execArgv) : [],
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  child.send({ text, source });
  return new Promise((resolve, reject) => {
    child.once('message', (m: WorkerReply) => {
      if (m.ok) resolve(m.value);
      else reject(m.config ? new ProxyConfigError(m.path, m.message) : new Error(m.message));
    });
    child.once('error', reject);
    // 'close' comes after the IPC channel has delivered everything, so it only matters without a reply.
    child.once('close', (code) => reject(new Error(`bootstrap codec process exited with code ${code}`)));
  });
}

const LOADER_FLAGS = new Set(['--import', '--loader', '--experimental-loader', '--conditions', '-C']);
const LOADER_FLAG_WITH_VALUE = /^--(import|loader|experimental-loader|conditions)=/;

/**
 * The flags of `execArgv` that make TypeScript sources load (`--import tsx`, `--conditions`);
 * not the rest (an `-e` script, `--inspect`, test-runner flags).
 */
function loaderFlags(execArgv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const a = execArgv[i];
    if (LOADER_FLAGS.has(a) && i + 1 < execArgv.length) out.push(a, execArgv[++i]);
    else if (LOADER_FLAG_WITH_VALUE.test(a)) out.push(a);
  }
  return out;
}

/** What `bootstrap-worker.ts` sends back. */
type WorkerReply = { ok: true; value: Json } | { ok: false; path: string; message: string; config: boolean };

/** Checks the canonical bootstrap against the supported subset. */
export function compileBootstrap(v: unknown): Bootstrap {
  const o = obj(v, '', ['node', 'static_resources', 'admin', 'dynamic_resources']);
  const node =
    o.node !== undefined
      ? obj(o.node, 'node', ['id', 'cluster', 'metadata', 'locality', 'user_agent_name'])
      : ({} as Json);
  const sr =
    o.static_resources !== undefined
      ? obj(o.static_resources, 'static_resources', ['listeners', 'clusters'])
      : ({} as Json);
  let admin: Bootstrap['admin'] = null;
  if (o.admin !== undefined) {
    const a = obj(o.admin, 'admin', ['address']);
    if (a.address !== undefined) admin = socketAddress(a.address, 'admin.address');
  }
  return {
    node: { id: str(node, 'id', 'node') ?? '', cluster: str(node, 'cluster', 'node') ?? '' },
    listeners: arr(sr, 'listeners', 'static_resources'),
    clusters: arr(sr, 'clusters', 'static_resources'),
    admin,
    dynamicResources: o.dynamic_resources !== undefined ? (o.dynamic_resources as Json) : null,
  };
}
