/**
 * Turning request bodies and files into documents: multi-document YAML (`---`), a JSON array, or
 * a Kubernetes `List`. Each document keeps its 1-based index so every error can name it.
 */
import { parseAllDocuments } from 'yaml';
import type { ValidationIssue } from '../errors.js';
import { DEFAULT_NAMESPACE } from '../resources/resource.js';

/** One document of an apply, before validation. */
export interface SourceDocument {
  /** 1-based position in the apply (after `List` expansion). */
  index: number;
  /** Where it came from, when it came from a file (`examples/canary.yaml`). */
  source?: string;
  value: unknown;
}

/** Result of parsing: the documents found and any syntax errors. */
export interface ParsedDocuments {
  documents: SourceDocument[];
  errors: ValidationIssue[];
}

/**
 * Parses YAML (one or many documents) or JSON text. Empty documents (a trailing `---`) are
 * skipped; a YAML syntax error is reported with its line and column.
 */
export function parseDocuments(text: string, source?: string, firstIndex = 1): ParsedDocuments {
  const documents: SourceDocument[] = [];
  const errors: ValidationIssue[] = [];
  let index = firstIndex;
  for (const doc of parseAllDocuments(text, { prettyErrors: true, uniqueKeys: true, merge: true })) {
    if (doc.errors.length > 0) {
      for (const e of doc.errors) {
        const where = e.linePos ? ` at line ${e.linePos[0].line}, column ${e.linePos[0].col}` : '';
        errors.push({
          document: describe(index, source),
          path: '',
          reason: `YAML syntax error${where}: ${e.code}`,
        });
      }
      index++;
      continue;
    }
    const value: unknown = doc.toJS({ maxAliasCount: 100 });
    if (value === null || value === undefined) continue;
    for (const item of expandLists(value)) documents.push({ index: index++, source, value: item });
  }
  return { documents, errors };
}

/** Wraps already-parsed values (a JSON request body) as documents. */
export function documentsFromValues(values: unknown[], source?: string): SourceDocument[] {
  const out: SourceDocument[] = [];
  let index = 1;
  for (const v of values)
    for (const item of expandLists(v)) out.push({ index: index++, source, value: item });
  return out;
}

/** A JSON array or a Kubernetes `kind: List` contributes each of its items. */
function expandLists(value: unknown): unknown[] {
  if (Array.isArray(value)) return value.flatMap(expandLists);
  if (isRecord(value) && value.kind === 'List' && Array.isArray(value.items)) return value.items;
  return [value];
}

/**
 * Brings a document to the stored shape: the namespace defaulted, and Kubernetes `Endpoints`
 * (whose `subsets` sit beside `metadata`) given a `spec` like every other kind. Returns a copy.
 */
export function normalizeDocument(value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...value };
  if (isRecord(out.metadata)) {
    const metadata = { ...out.metadata };
    if (metadata.namespace === undefined) metadata.namespace = DEFAULT_NAMESPACE;
    out.metadata = metadata;
  }
  if (out.kind === 'Endpoints' && out.spec === undefined) {
    out.spec = out.subsets === undefined ? {} : { subsets: out.subsets };
    delete out.subsets;
  }
  return out;
}

/**
 * `doc 2 VirtualService/default/reviews` (prefixed `file.yaml:` when the document came from a
 * file), or `doc 2` when the document has no identity yet.
 */
export function describe(index: number, source?: string, value?: unknown): string {
  let id = '';
  if (isRecord(value)) {
    const kind = typeof value.kind === 'string' ? value.kind : '?';
    const meta = isRecord(value.metadata) ? value.metadata : {};
    const ns = typeof meta.namespace === 'string' ? meta.namespace : DEFAULT_NAMESPACE;
    const name = typeof meta.name === 'string' ? meta.name : '?';
    id = ` ${kind}/${ns}/${name}`;
  }
  return `${source ? `${source}:` : ''}doc ${index}${id}`;
}

/** True for a plain object (not an array or null). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
