/**
 * `meshwork apply -f <file|dir|-> [-f …] [--dry-run] [--wait]` — sends every document in one
 * all-or-nothing apply, prints what happened to each resource and the change id, and with
 * `--wait` follows the change until every affected proxy has ACKed or NACKed it.
 */
import { parseArgs } from 'node:util';
import {
  ControlPlaneError,
  DEFAULT_SERVER,
  durationMs,
  loadManifests,
  ResourceClient,
  type SourceDocument,
  ValidationError,
  type ValidationIssue,
} from '@meshwork/control-plane';
import type { Command } from '../main.js';
import { withUsageErrors } from '../usage.js';

const USAGE = `usage: meshwork apply -f <file|dir|-> [-f …] [--dry-run] [--skip-unknown-kinds] [--wait [--timeout 30s]] [--server <url>]

  -f, --filename   manifest file, directory of manifests, or - for stdin (repeatable)
  --dry-run        validate and report what would change, writing nothing
  --skip-unknown-kinds
                   skip documents of kinds the control plane does not serve (e.g. Deployments)
  --wait           wait until every affected proxy has ACKed or NACKed the change
  --timeout        how long --wait waits (default 30s)
  --server         control plane REST API (default $MESHWORK_SERVER or ${DEFAULT_SERVER})`;

/** A convergence report as `GET /changes/<id>` gives it (fields read defensively). */
interface ChangeReport {
  state?: string;
  proxies?: { total?: number; acked?: number; nacked?: number; pending?: number };
  nacks?: { node: string; typeUrl: string; error: string }[];
  convergenceMs?: { p50?: number; p99?: number; max?: number };
}

/** Rewrites the server's `doc N …` labels into `file:doc M …` using the documents sent. */
export function relabel(issue: ValidationIssue, sent: readonly SourceDocument[]): string {
  const m = /^doc (\d+)(.*)$/.exec(issue.document);
  const doc = m ? sent[Number(m[1]) - 1] : undefined;
  const document = doc && m ? `${doc.source ? `${doc.source}:` : ''}doc ${doc.index}${m[2]}` : issue.document;
  return `${document}: ${issue.path ? `${issue.path}: ` : ''}${issue.reason}`;
}

async function waitForChange(client: ResourceClient, changeId: string, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last: ChangeReport | undefined;
  while (Date.now() < deadline) {
    last = (await client.change(changeId)) as ChangeReport | undefined;
    if (last?.state === 'pushed' && (last.proxies?.pending ?? 0) === 0) return reportChange(changeId, last);
    await new Promise((r) => setTimeout(r, 200));
  }
  const where = last
    ? `${last.proxies?.pending ?? '?'} proxies still pending`
    : 'the control plane has not reported it';
  console.error(`meshwork apply: timed out after ${timeoutMs} ms waiting for change ${changeId}: ${where}`);
  return 1;
}

function reportChange(changeId: string, report: ChangeReport): number {
  const p = report.proxies ?? {};
  const c = report.convergenceMs ?? {};
  console.log(
    `change ${changeId} converged: ${p.acked ?? 0}/${p.total ?? 0} proxies ACKed, ${p.nacked ?? 0} NACKed` +
      (c.p50 !== undefined ? ` (p50 ${c.p50} ms, p99 ${c.p99} ms, max ${c.max} ms)` : ''),
  );
  for (const n of report.nacks ?? []) console.log(`  NACK from ${n.node} on ${n.typeUrl}: ${n.error}`);
  return (p.nacked ?? 0) > 0 ? 1 : 0;
}

function say(message: string, exitCode: number): number {
  console.log(message);
  return exitCode;
}

function complain(message: string, exitCode: number): number {
  console.error(message);
  return exitCode;
}

interface ApplyFlags {
  files: string[];
  dryRun: boolean;
  skipUnknownKinds: boolean;
  wait: boolean;
  timeoutMs: number;
  server: string;
}

function parseFlags(argv: string[]): ApplyFlags | 'help' | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      filename: { type: 'string', short: 'f', multiple: true },
      'dry-run': { type: 'boolean' },
      'skip-unknown-kinds': { type: 'boolean' },
      wait: { type: 'boolean' },
      timeout: { type: 'string' },
      server: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  if (!values.filename?.length) return undefined;
  return {
    files: values.filename,
    dryRun: values['dry-run'] ?? false,
    skipUnknownKinds: values['skip-unknown-kinds'] ?? false,
    wait: values.wait ?? false,
    timeoutMs: durationMs(values.timeout ?? '30s'),
    server: values.server ?? process.env.MESHWORK_SERVER ?? DEFAULT_SERVER,
  };
}

async function send(flags: ApplyFlags, documents: SourceDocument[]): Promise<number> {
  const client = new ResourceClient(flags.server);
  const res = await client.apply(
    documents.map((d) => d.value),
    { dryRun: flags.dryRun, skipUnknownKinds: flags.skipUnknownKinds },
  );
  const suffix = flags.dryRun ? ' (dry run)' : '';
  for (const r of res.results) console.log(`${r.kind}/${r.namespace}/${r.name} ${r.action}${suffix}`);
  for (const w of res.warnings) console.log(`warning: ${relabel(w, documents)}`);
  if (flags.dryRun) return 0;
  console.log(`change id: ${res.changeId}`);
  if (!flags.wait) return 0;
  if (res.results.every((r) => r.action === 'unchanged'))
    return say('nothing changed; nothing to wait for', 0);
  return waitForChange(client, res.changeId, flags.timeoutMs);
}

async function execute(argv: string[]): Promise<number> {
  const flags = parseFlags(argv);
  if (flags === 'help') return say(USAGE, 0);
  if (!flags) return complain(USAGE, 2);
  const loaded = await loadManifests(flags.files);
  for (const e of loaded.errors) console.error(`${e.document}: ${e.path ? `${e.path}: ` : ''}${e.reason}`);
  if (loaded.errors.length > 0) return 1;
  if (loaded.documents.length === 0) return complain('meshwork apply: no documents found', 1);
  try {
    return await send(flags, loaded.documents);
  } catch (err) {
    if (err instanceof ValidationError) {
      for (const e of err.errors) console.error(relabel(e, loaded.documents));
      return complain(`meshwork apply: rejected (${err.errors.length} error(s)); nothing was applied`, 1);
    }
    if (err instanceof ControlPlaneError) return complain(`meshwork apply: ${err.message}`, 1);
    throw err;
  }
}

const run = withUsageErrors('apply', execute);

/** The `apply` verb. */
export const command: Command = {
  summary: 'apply resources from YAML/JSON files (all-or-nothing), optionally waiting for proxies',
  run,
};
