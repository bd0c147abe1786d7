/**
 * `meshwork get <kind|all> [name] [-n ns | -A] [-l selector] [-o yaml|json]` — reads resources
 * from the control plane. Without `-o` it prints a table.
 */
import { parseArgs } from 'node:util';
import {
  ControlPlaneError,
  DEFAULT_NAMESPACE,
  DEFAULT_SERVER,
  durationMs,
  lookupKind,
  ResourceClient,
  type StoredResource,
} from '@meshwork/control-plane';
import { stringify } from 'yaml';
import type { Command } from '../main.js';
import { withUsageErrors } from '../usage.js';

const USAGE = `usage: meshwork get <kind|all> [name] [-n <namespace> | -A] [-l <selector>] [-o yaml|json] [-w] [--server <url>]

  kind              virtualservices, vs, destinationrules, dr, services, svc, … or all
  -n, --namespace   namespace (default "default")
  -A, --all-namespaces
  -l, --selector    label selector, e.g. app=reviews,version!=v1
  -o, --output      yaml or json (default: a table)
  -w, --watch       after listing, print every change as it happens (one line per event,
                    or one JSON object per line with -o json) until Ctrl-C or --timeout
  --timeout         stop watching after this long (e.g. 30s)`;

function age(created: string, nowMs: number): string {
  const s = Math.max(0, Math.floor((nowMs - Date.parse(created)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172_800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}

/** Renders resources as an aligned table. */
export function table(items: readonly StoredResource[], nowMs = Date.now()): string {
  const rows = [['KIND', 'NAMESPACE', 'NAME', 'VERSION', 'GENERATION', 'AGE']];
  for (const r of items) {
    const m = r.metadata;
    rows.push([
      r.kind,
      m.namespace,
      m.name,
      m.resourceVersion,
      String(m.generation),
      age(m.creationTimestamp, nowMs),
    ]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  return rows
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i]))
        .join('   ')
        .trimEnd(),
    )
    .join('\n');
}

function render(items: StoredResource[], single: boolean, output: string | undefined): string {
  if (output === 'json')
    return JSON.stringify(single ? items[0] : { apiVersion: 'v1', kind: 'List', items }, null, 2);
  if (output === 'yaml') return items.map((r) => stringify(r)).join('---\n');
  return items.length === 0 ? 'No resources found.' : table(items);
}

async function getOne(client: ResourceClient, kind: string, namespace: string, name: string) {
  const resource = await client.get(kind, namespace, name);
  return { items: [resource], revision: Number(resource.metadata.resourceVersion) };
}

/** Prints store events from the current revision on: `MODIFIED VirtualService/default/reviews 42`. */
async function follow(
  client: ResourceClient,
  filter: { kind?: string; namespace?: string; name?: string; fromRevision: number },
  json: boolean,
  signal: AbortSignal | undefined,
): Promise<void> {
  const { fromRevision } = filter;
  for await (const e of client.watch(
    { fromRevision, kind: filter.kind, namespace: filter.namespace },
    signal,
  )) {
    const m = e.resource.metadata;
    if (filter.name && m.name !== filter.name) continue;
    console.log(
      json ? JSON.stringify(e) : `${e.type} ${e.resource.kind}/${m.namespace}/${m.name} ${e.revision}`,
    );
  }
}

async function execute(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      namespace: { type: 'string', short: 'n' },
      'all-namespaces': { type: 'boolean', short: 'A' },
      selector: { type: 'string', short: 'l' },
      output: { type: 'string', short: 'o' },
      watch: { type: 'boolean', short: 'w' },
      timeout: { type: 'string' },
      server: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [kindName, name] = positionals;
  if (values.help || !kindName || (values.output && !['yaml', 'json'].includes(values.output))) {
    (values.help ? console.log : console.error)(USAGE);
    return values.help ? 0 : 2;
  }
  const kind = kindName === 'all' ? undefined : lookupKind(kindName)?.kind;
  if (kindName !== 'all' && !kind) {
    console.error(`meshwork get: unknown kind "${kindName}"`);
    return 2;
  }
  const namespace = values['all-namespaces'] ? undefined : (values.namespace ?? DEFAULT_NAMESPACE);
  const client = new ResourceClient(values.server ?? process.env.MESHWORK_SERVER ?? DEFAULT_SERVER);
  try {
    const { items, revision } = name
      ? await getOne(client, kind ?? kindName, namespace ?? DEFAULT_NAMESPACE, name)
      : await client.listWithRevision(kind, { namespace, labelSelector: values.selector });
    console.log(render(items, Boolean(name), values.output));
    if (!values.watch) return 0;
    const signal = values.timeout ? AbortSignal.timeout(durationMs(values.timeout)) : undefined;
    await follow(client, { kind, namespace, name, fromRevision: revision }, values.output === 'json', signal);
    return 0;
  } catch (err) {
    if (!(err instanceof ControlPlaneError)) throw err;
    console.error(`meshwork get: ${err.message}`);
    return 1;
  }
}

const run = withUsageErrors('get', execute);

/** The `get` verb. */
export const command: Command = {
  summary: 'list or show resources (table, -o yaml, -o json)',
  run,
};
