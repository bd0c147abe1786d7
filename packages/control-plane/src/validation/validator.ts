/**
 * The validator: documents in, typed resources out, or every problem found. Stages: envelope
 * (is this a kind and apiVersion we serve?), JSON Schema, duplicates within the apply, then
 * cross-reference analysis against the store's resources with the applied ones laid over them.
 * The same code serves `POST /v1/resources` and the offline `meshwork check`.
 */
import { ValidationError, type ValidationIssue } from '../errors.js';
import { acceptsApiVersion, apiVersionsOf, KINDS, lookupKind } from '../resources/kinds.js';
import { formatKey, keyOf, type Resource, type ResourceKey } from '../resources/resource.js';
import { type AnalysisOptions, analyzeDocument, type Findings } from './analysis.js';
import { describe, isRecord, normalizeDocument, type SourceDocument } from './documents.js';
import { SchemaValidator } from './schema-validator.js';
import { type AnalysisHooks, World } from './world.js';

/** Options of one validation run. */
export interface ValidateOptions extends AnalysisOptions {
  /** Resources already stored; the analysis sees them, overridden by the documents. */
  existing?: Iterable<Resource>;
  /** Registry hooks (known services, labels carried by live instances). */
  hooks?: AnalysisHooks;
  /**
   * Skip documents of kinds the control plane does not serve (a Deployment beside its Service in
   * a Kubernetes manifest) with a warning, instead of rejecting the apply.
   */
  skipUnknownKinds?: boolean;
}

/** Outcome of validating a set of documents. */
export interface ValidationResult {
  /** The documents as resources (normalised), in order; meaningful only when `errors` is empty. */
  resources: Resource[];
  errors: ValidationIssue[];
  warnings: ValidationIssue[];
}

const KIND_NAMES = KINDS.map((k) => k.kind).join(', ');

/**
 * Validates resource documents. Build one per process: the schemas compile in the constructor.
 *
 * @example
 * const validator = new ResourceValidator();
 * const { documents } = parseDocuments(yamlText);
 * const { resources, warnings } = validator.validateOrThrow(documents, { existing: await store.list() });
 */
export class ResourceValidator {
  readonly #schemas = new SchemaValidator();

  /** Validates and analyses; never throws for bad input. */
  validate(documents: readonly SourceDocument[], opts: ValidateOptions = {}): ValidationResult {
    const findings: Findings = { errors: [], warnings: [] };
    const accepted: { doc: SourceDocument; label: string; resource: Resource }[] = [];
    const seen = new Map<string, string>();
    for (const doc of documents) {
      const resource = this.#checkDocument(doc, findings, opts.skipUnknownKinds ?? false);
      if (!resource) continue;
      const label = describe(doc.index, doc.source, resource);
      const key = formatKey(keyOf(resource));
      const first = seen.get(key);
      if (first !== undefined) {
        findings.errors.push({
          document: label,
          path: 'metadata.name',
          reason: `duplicates ${first}`,
        });
        continue;
      }
      seen.set(key, label);
      accepted.push({ doc, label, resource });
    }
    const world = new World(
      overlay(
        opts.existing ?? [],
        accepted.map((a) => a.resource),
      ),
      opts.hooks,
    );
    for (const a of accepted) {
      const { namespace } = keyOf(a.resource);
      analyzeDocument(
        {
          label: a.label,
          kind: a.resource.kind,
          namespace,
          name: a.resource.metadata.name,
          spec: a.resource.spec,
        },
        world,
        findings,
        opts,
      );
    }
    return { resources: accepted.map((a) => a.resource), ...findings };
  }

  /**
   * What a delete would break: the stored VirtualServices that would then route to a host or
   * subset that no longer exists, as warnings naming each (`VirtualService/default/reviews:
   * spec.http[0].route[1].destination.subset: …`). Deletes are never refused for this; Istio
   * does not either.
   */
  analyzeDeletion(
    deleted: ResourceKey,
    existing: Iterable<Resource>,
    hooks?: AnalysisHooks,
  ): ValidationIssue[] {
    const gone = formatKey(deleted);
    const remaining = [...existing].filter((r) => formatKey(keyOf(r)) !== gone);
    const world = new World(remaining, hooks);
    const findings: Findings = { errors: [], warnings: [] };
    for (const r of remaining) {
      if (r.kind !== 'VirtualService') continue;
      const key = keyOf(r);
      const label = formatKey(key);
      const scratch: Findings = { errors: [], warnings: [] };
      analyzeDocument(
        { label, kind: r.kind, namespace: key.namespace, name: key.name, spec: r.spec },
        world,
        scratch,
      );
      // Only reference errors are caused by the delete; the document itself was valid when stored.
      for (const e of scratch.errors) {
        if (/\.(host|subset)$/.test(e.path) || e.path.startsWith('spec.gateways')) {
          findings.warnings.push({ document: gone, path: '', reason: `${label}: ${e.path}: ${e.reason}` });
        }
      }
    }
    return findings.warnings;
  }

  /** Like {@link validate} but throws a `ValidationError` listing every error. */
  validateOrThrow(documents: readonly SourceDocument[], opts: ValidateOptions = {}): ValidationResult {
    const result = this.validate(documents, opts);
    if (result.errors.length > 0) throw new ValidationError(result.errors);
    return result;
  }

  #checkDocument(doc: SourceDocument, findings: Findings, skipUnknownKinds: boolean): Resource | undefined {
    const label = describe(doc.index, doc.source, doc.value);
    const fail = (path: string, reason: string) => {
      findings.errors.push({ document: label, path, reason });
      return undefined;
    };
    if (!isRecord(doc.value))
      return fail('', 'a document must be a mapping with apiVersion, kind, metadata and spec');
    const value = normalizeDocument(doc.value);
    if (typeof value.kind !== 'string') return fail('kind', 'is required');
    if (typeof value.apiVersion !== 'string') return fail('apiVersion', 'is required');
    const info = lookupKind(value.kind);
    if (!info || info.kind !== value.kind) {
      if (!skipUnknownKinds) return fail('kind', `unknown kind "${value.kind}" (served: ${KIND_NAMES})`);
      findings.warnings.push({
        document: label,
        path: 'kind',
        reason: `kind "${value.kind}" is not served; skipped`,
      });
      return undefined;
    }
    if (!acceptsApiVersion(info, value.apiVersion)) {
      return fail(
        'apiVersion',
        `${info.kind} is served as ${apiVersionsOf(info).join(', ')} (got "${value.apiVersion}")`,
      );
    }
    const issues = this.#schemas.validate(info.kind, value);
    if (issues.length > 0) {
      for (const i of issues) findings.errors.push({ document: label, path: i.path, reason: i.reason });
      return undefined;
    }
    return value as unknown as Resource;
  }
}

function overlay(existing: Iterable<Resource>, applied: Resource[]): Resource[] {
  const byKey = new Map<string, Resource>();
  for (const r of existing) byKey.set(formatKey(keyOf(r)), r);
  for (const r of applied) byKey.set(formatKey(keyOf(r)), r);
  return [...byKey.values()];
}
