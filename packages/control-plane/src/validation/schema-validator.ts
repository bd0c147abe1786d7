/**
 * Schema validation: every kind's JSON Schema is compiled once, when the validator is built, and
 * ajv's errors are turned into `{ path, reason }` pairs a person can act on
 * (`spec.http[0].route[1].weight: must be >= 0 (got -5)`).
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { DURATION_PATTERN } from '../resources/duration.js';
import { KINDS, type KindName } from '../resources/kinds.js';
import { envelopeSchema, NAME_PATTERN, specSchemas } from './schemas/index.js';

/** One schema problem inside a document. */
export interface SchemaIssue {
  path: string;
  reason: string;
}

/** Validates documents of known kinds against their compiled JSON Schemas. */
export class SchemaValidator {
  readonly #byKind = new Map<KindName, ValidateFunction>();

  constructor() {
    // verbose: errors carry their parentSchema, which the messages below read (oneOf branches).
    const ajv = new Ajv({
      allErrors: true,
      verbose: true,
      strict: true,
      strictRequired: false,
      allowUnionTypes: true,
    });
    for (const info of KINDS)
      this.#byKind.set(info.kind, ajv.compile(envelopeSchema(specSchemas[info.kind])));
  }

  /** Validates one document of `kind`; an empty list means it conforms. */
  validate(kind: KindName, document: unknown): SchemaIssue[] {
    const fn = this.#byKind.get(kind);
    if (!fn) return [{ path: 'kind', reason: `no schema for kind ${kind}` }];
    if (fn(document)) return [];
    return toIssues(fn.errors ?? []);
  }
}

/** Converts ajv errors, dropping the per-branch noise of `oneOf`/`not` in favour of one message. */
export function toIssues(errors: readonly ErrorObject[]): SchemaIssue[] {
  const out: SchemaIssue[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    if (/\/(oneOf|not)\/\d*/.test(e.schemaPath) || e.schemaPath.endsWith('/not/required')) continue;
    const issue = { path: pathOf(e), reason: reasonOf(e) };
    const key = `${issue.path}\u0000${issue.reason}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(issue);
  }
  return out;
}

/** `/spec/http/0/route/1/weight` → `spec.http[0].route[1].weight`. */
export function pointerToPath(pointer: string): string {
  let out = '';
  for (const raw of pointer.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^\d+$/.test(seg)) out += `[${seg}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

function join(path: string, field: string): string {
  return path ? `${path}.${field}` : field;
}

function pathOf(e: ErrorObject): string {
  const base = pointerToPath(e.instancePath);
  if (e.keyword === 'required') return join(base, String(e.params.missingProperty));
  if (e.keyword === 'additionalProperties') return join(base, String(e.params.additionalProperty));
  return base;
}

function got(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

function reasonOf(e: ErrorObject): string {
  const parent = (e.parentSchema ?? {}) as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return 'is required';
    case 'additionalProperties':
      return 'is not a known field';
    case 'type':
      return `must be ${e.params.type} (got ${got(e.data)})`;
    case 'enum':
      return `must be one of ${(e.params.allowedValues as unknown[]).join(', ')} (got ${got(e.data)})`;
    case 'pattern':
      return patternReason(String(e.params.pattern), e.data);
    case 'minimum':
    case 'maximum':
      return `must be ${e.params.comparison} ${e.params.limit} (got ${got(e.data)})`;
    case 'minItems':
      return `must have at least ${e.params.limit} item(s)`;
    case 'minLength':
      return 'must not be empty';
    case 'maxLength':
      return `must be at most ${e.params.limit} characters`;
    case 'minProperties':
    case 'maxProperties':
      return `must set exactly one of ${Object.keys((parent.properties as object) ?? {}).join(', ')}`;
    case 'oneOf':
      return `must set exactly one of ${branchFields(parent.oneOf).join(', ')}`;
    case 'not':
      return `must not set both ${branchFields([parent.not]).join(' and ')}`;
    default:
      return e.message ?? 'is invalid';
  }
}

function branchFields(branches: unknown): string[] {
  if (!Array.isArray(branches)) return [];
  return branches.flatMap((b) => ((b as { required?: string[] }).required ?? []) as string[]);
}

function patternReason(pattern: string, data: unknown): string {
  if (pattern === DURATION_PATTERN)
    return `${got(data)} is not a duration (expected e.g. "30s", "1.5s", "100ms")`;
  if (pattern === NAME_PATTERN) {
    return `${got(data)} is not a valid name (lower-case letters, digits, '-' and '.'; must start and end alphanumeric)`;
  }
  if (pattern === '^[^/]+/[^/]+$')
    return `${got(data)} must be "namespace/host" (e.g. "./*" or "istio-system/*")`;
  return `${got(data)} must match ${pattern}`;
}
