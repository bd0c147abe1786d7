/**
 * `meshwork status` — services, instances, health and sidecar config versions, from the control
 * plane (`/v1/registry/services`, `/v1/proxies`), or from the state file of a `meshwork up`
 * running without a mesh.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from '../main.js';
import { parseArgs } from '../up/args.js';
import { STATE_FILE, type UpState } from '../up/orchestrator.js';
import { renderStatus } from '../up/status-view.js';

const USAGE = `usage: meshwork status [--control-plane <url>] [--state-dir <dir>] [--json]`;

async function getJson(url: string): Promise<unknown> {
  const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
  if (!res.ok) throw new Error(`${url} answered ${res.status}`);
  return res.json();
}

/** The registry's services, each with its instances (the service list only carries counts). */
async function registryWithInstances(cp: string): Promise<unknown> {
  const body = (await getJson(`${cp}/v1/registry/services`)) as {
    services?: { name: string; namespace?: string }[];
  };
  if (!Array.isArray(body.services)) return body;
  const services = await Promise.all(
    body.services.map(async (s) => {
      const ns = encodeURIComponent(s.namespace ?? 'default');
      const detail = (await getJson(
        `${cp}/v1/registry/services/${encodeURIComponent(s.name)}/instances?namespace=${ns}`,
      )) as {
        instances?: unknown[];
      };
      return { ...s, instances: detail.instances ?? [] };
    }),
  );
  return { services };
}

async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  const args = parseArgs(argv, ['--control-plane', '--state-dir'], ['--json']);
  let state: UpState | undefined;
  try {
    state = JSON.parse(
      readFileSync(join(resolve(String(args.get('--state-dir') ?? '.meshwork/up')), STATE_FILE), 'utf8'),
    );
  } catch {
    state = undefined;
  }
  const cp =
    args.get('--control-plane') ?? state?.controlPlane ?? (state ? undefined : 'http://127.0.0.1:15080');
  let registry: unknown;
  let proxies: unknown;
  if (typeof cp === 'string') {
    try {
      [registry, proxies] = await Promise.all([
        registryWithInstances(cp),
        getJson(`${cp}/v1/proxies`).catch(() => undefined),
      ]);
    } catch (err) {
      if (!state) {
        console.error(
          `meshwork status: no \`meshwork up\` state found and the control plane is unreachable (${(err as Error).message})`,
        );
        return 1;
      }
    }
  }
  if (args.has('--json')) console.log(JSON.stringify({ state, registry, proxies }, null, 2));
  else console.log(renderStatus({ state, registry, proxies }).join('\n'));
  return 0;
}

/** Usage errors exit 2 with the problem and a pointer to --help; everything else propagates. */
async function runChecked(argv: string[]): Promise<number> {
  try {
    return await run(argv);
  } catch (err) {
    if ((err as { code?: string }).code !== 'MESH_ERR_USAGE') throw err;
    console.error(`meshwork status: ${(err as Error).message} (see \`meshwork status --help\`)`);
    return 2;
  }
}

/** The `status` verb. */
export const command: Command = {
  summary: 'show services, instances, health and sidecar config versions',
  run: runChecked,
};
