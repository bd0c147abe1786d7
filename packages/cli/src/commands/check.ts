/**
 * `meshwork check -f <file|dir|-> [-f …]` — the control plane's validation and analysis, offline:
 * schemas, cross-references between the given documents (a route naming an unknown host or
 * subset, weights, gateways, …). Prints each problem as `file:doc N Kind/ns/name: path: reason`
 * and exits 1 when there is any error (warnings alone exit 0).
 */
import { parseArgs } from 'node:util';
import { loadManifests, ResourceValidator, type ValidationIssue } from '@meshwork/control-plane';
import type { Command } from '../main.js';
import { withUsageErrors } from '../usage.js';

const USAGE = `usage: meshwork check -f <file|dir|-> [-f …] [--unknown-hosts error|warning] [--skip-unknown-kinds]

  -f, --filename    manifest file, directory of manifests, or - for stdin (repeatable)
  --unknown-hosts   severity of a destination host no given document defines (default error;
                    use warning when the services register at run time instead)
  --skip-unknown-kinds  skip documents of kinds the control plane does not serve`;

/** `file:doc N Kind/ns/name: path: reason`. */
export function formatIssue(issue: ValidationIssue): string {
  return `${issue.document}: ${issue.path ? `${issue.path}: ` : ''}${issue.reason}`;
}

async function execute(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      filename: { type: 'string', short: 'f', multiple: true },
      'unknown-hosts': { type: 'string' },
      'skip-unknown-kinds': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const severity = values['unknown-hosts'] ?? 'error';
  if (!values.filename?.length || (severity !== 'error' && severity !== 'warning')) {
    console.error(USAGE);
    return 2;
  }
  const loaded = await loadManifests(values.filename);
  const result = new ResourceValidator().validate(loaded.documents, {
    unknownHostSeverity: severity,
    skipUnknownKinds: values['skip-unknown-kinds'] ?? false,
  });
  const errors = [...loaded.errors, ...result.errors];
  for (const e of errors) console.log(formatIssue(e));
  for (const w of result.warnings) console.log(`warning: ${formatIssue(w)}`);
  console.log(
    `${loaded.documents.length} document(s) checked: ${errors.length} error(s), ${result.warnings.length} warning(s)`,
  );
  return errors.length > 0 ? 1 : 0;
}

const run = withUsageErrors('check', execute);

/** The `check` verb. */
export const command: Command = {
  summary: 'validate and analyse resource files offline (exit 1 on errors)',
  run,
};
