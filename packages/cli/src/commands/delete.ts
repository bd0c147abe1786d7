/**
 * `meshwork delete <kind> <name> [-n ns]` or `meshwork delete -f <file|dir>` — deletes resources.
 * With `-f`, each resource the files name is deleted in turn (deletes are not batched into one
 * change); a missing one is an error unless `--ignore-not-found`.
 */
import { parseArgs } from 'node:util';
import {
  ControlPlaneError,
  DEFAULT_NAMESPACE,
  DEFAULT_SERVER,
  loadManifests,
  lookupKind,
  ResourceClient,
} from '@meshwork/control-plane';
import type { Command } from '../main.js';
import { withUsageErrors } from '../usage.js';

const USAGE = `usage: meshwork delete <kind> <name> [-n <namespace>] [--server <url>]
       meshwork delete -f <file|dir|-> [-f …] [--ignore-not-found] [--server <url>]`;

interface Target {
  kind: string;
  namespace: string;
  name: string;
}

async function targetsFromFiles(paths: string[]): Promise<Target[] | undefined> {
  const loaded = await loadManifests(paths);
  for (const e of loaded.errors) console.error(`${e.document}: ${e.path ? `${e.path}: ` : ''}${e.reason}`);
  if (loaded.errors.length > 0) return undefined;
  return loaded.documents.map((d) => {
    const v = d.value as { kind?: string; metadata?: { name?: string; namespace?: string } };
    return {
      kind: v.kind ?? '?',
      namespace: v.metadata?.namespace ?? DEFAULT_NAMESPACE,
      name: v.metadata?.name ?? '?',
    };
  });
}

async function deleteAll(
  client: ResourceClient,
  targets: Target[],
  ignoreNotFound: boolean,
): Promise<number> {
  let failures = 0;
  for (const t of targets) {
    const id = `${t.kind}/${t.namespace}/${t.name}`;
    try {
      const res = await client.delete(t.kind, t.namespace, t.name);
      console.log(`${id} deleted (change id: ${res.changeId})`);
      for (const w of res.warnings ?? []) console.log(`warning: ${w.reason}`);
    } catch (err) {
      if (!(err instanceof ControlPlaneError)) throw err;
      if (err.code === 'MESH_ERR_CP_NOT_FOUND' && ignoreNotFound) continue;
      console.error(`meshwork delete: ${err.message}`);
      failures++;
      if (err.code === 'MESH_ERR_CP_UNREACHABLE') break;
    }
  }
  return failures > 0 ? 1 : 0;
}

async function execute(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      filename: { type: 'string', short: 'f', multiple: true },
      namespace: { type: 'string', short: 'n' },
      'ignore-not-found': { type: 'boolean' },
      server: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  let targets: Target[] | undefined;
  if (values.filename?.length) {
    targets = await targetsFromFiles(values.filename);
    if (!targets) return 1;
  } else {
    const [kindName, name] = positionals;
    const kind = kindName ? lookupKind(kindName)?.kind : undefined;
    if (!kind || !name) {
      console.error(kindName && !kind ? `meshwork delete: unknown kind "${kindName}"` : USAGE);
      return 2;
    }
    targets = [{ kind, namespace: values.namespace ?? DEFAULT_NAMESPACE, name }];
  }
  const client = new ResourceClient(values.server ?? process.env.MESHWORK_SERVER ?? DEFAULT_SERVER);
  return deleteAll(client, targets, values['ignore-not-found'] ?? false);
}

const run = withUsageErrors('delete', execute);

/** The `delete` verb. */
export const command: Command = {
  summary: 'delete resources by kind and name, or those named in files',
  run,
};
