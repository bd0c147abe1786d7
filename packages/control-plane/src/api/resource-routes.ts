/**
 * The resource endpoints: apply (YAML or JSON, all-or-nothing, dry run), get, list, delete and
 * watch (Server-Sent Events). Kinds in URLs are any name the kind registry knows
 * (`virtualservice`, `virtualservices`, `vs`).
 */
import { ControlPlaneError, isControlPlaneError, ValidationError } from '../errors.js';
import { KINDS, type KindInfo, lookupKind } from '../resources/kinds.js';
import type { ApplyResult, ResourceStore } from '../store/resource-store.js';
import type { AnalysisOptions } from '../validation/analysis.js';
import { documentsFromValues, parseDocuments, type SourceDocument } from '../validation/documents.js';
import { ResourceValidator } from '../validation/validator.js';
import type { AnalysisHooks } from '../validation/world.js';
import { sendJson } from './http.js';
import type { Route, RouteContext } from './server.js';
import { watchRoute } from './watch-route.js';

/** Options of {@link resourceRoutes}. */
export interface ResourceRoutesOptions extends AnalysisOptions {
  /** A shared validator (schemas compile once); one is built when omitted. */
  validator?: ResourceValidator;
  /** Registry hooks for the analysis (known services, labels carried by live instances). */
  hooks?: AnalysisHooks;
  /** Interval of SSE keep-alive comments on watch streams. Default 15 s. */
  heartbeatMs?: number;
  /** Called after every committed (non-dry-run) apply or delete that changed something. */
  onChange?(change: { revision: number; source: 'apply' | 'delete' }): void;
}

/** Body of a successful `POST /v1/resources`. */
export interface ApplyResponse extends ApplyResult {
  /** The change id: the store revision of this apply, as a decimal string. */
  changeId: string;
  dryRun: boolean;
  warnings: { document: string; path: string; reason: string }[];
}

/**
 * The resource routes over a store.
 *
 * @example
 * const api = await createApiServer({ port: 15080, routes: resourceRoutes(store, { hooks: registry.analysisHooks }) });
 */
export function resourceRoutes(store: ResourceStore, opts: ResourceRoutesOptions = {}): Route[] {
  const validator = opts.validator ?? new ResourceValidator();
  const exclusive = serializer();
  return [
    {
      method: 'POST',
      path: '/v1/resources',
      handler: (ctx) => apply(ctx, store, validator, opts, exclusive),
    },
    { method: 'GET', path: '/v1/resources', handler: (ctx) => list(ctx, store, undefined) },
    { method: 'GET', path: '/v1/resources/:kind', handler: (ctx) => list(ctx, store, kindParam(ctx)) },
    { method: 'GET', path: '/v1/resources/:kind/:namespace/:name', handler: (ctx) => get(ctx, store) },
    {
      method: 'DELETE',
      path: '/v1/resources/:kind/:namespace/:name',
      handler: (ctx) => remove(ctx, store, validator, opts, exclusive),
    },
    { method: 'GET', path: '/v1/kinds', handler: ({ res }) => sendJson(res, 200, { kinds: KINDS }) },
    watchRoute(store, { heartbeatMs: opts.heartbeatMs ?? 15_000, kindParam: lookupKindOrThrow }),
  ];
}

function lookupKindOrThrow(name: string): KindInfo {
  const info = lookupKind(name);
  if (!info) {
    throw new ControlPlaneError(
      'MESH_ERR_CP_NOT_FOUND',
      `unknown kind "${name}" (served: ${KINDS.map((k) => k.plural).join(', ')})`,
    );
  }
  return info;
}

function kindParam(ctx: RouteContext): KindInfo {
  return lookupKindOrThrow(ctx.params.kind);
}

async function readDocuments(ctx: RouteContext): Promise<SourceDocument[]> {
  const body = await ctx.body();
  if (body === undefined) throw new ControlPlaneError('MESH_ERR_CP_BAD_REQUEST', 'the request body is empty');
  if (typeof body === 'string') {
    const parsed = parseDocuments(body);
    if (parsed.errors.length > 0) throw new ValidationError(parsed.errors);
    return parsed.documents;
  }
  return documentsFromValues([body]);
}

/** Validations an apply may redo because other replicas kept writing before it could commit. */
const MAX_VIEW_ATTEMPTS = 8;

/**
 * Runs tasks one at a time, so applies from this process do not make each other's views stale;
 * replicas sharing a store are kept apart by the views themselves (`ifViewCurrent`).
 */
function serializer(): <T>(task: () => Promise<T>) => Promise<T> {
  let queue: Promise<unknown> = Promise.resolve();
  return (task) => {
    const run = queue.then(task);
    queue = run.catch(() => {});
    return run;
  };
}

async function apply(
  ctx: RouteContext,
  store: ResourceStore,
  validator: ResourceValidator,
  opts: ResourceRoutesOptions,
  exclusive: ReturnType<typeof serializer>,
): Promise<void> {
  const dryRun = booleanParam(ctx.query, 'dryRun');
  const skipUnknownKinds = booleanParam(ctx.query, 'skipUnknownKinds');
  // The body is read and parsed outside the critical section: a slow client must not hold it.
  const documents = await readDocuments(ctx);
  if (documents.length === 0)
    throw new ControlPlaneError('MESH_ERR_CP_BAD_REQUEST', 'no documents in the request body');
  const { result, warnings } = await exclusive(async () => {
    // Validated against a view and committed only if the view is still current: another replica
    // sharing the store may have written in between, and then the documents are checked again.
    for (let attempt = 1; ; attempt++) {
      const view = await store.view();
      const checked = validator.validateOrThrow(documents, {
        existing: view.resources,
        hooks: opts.hooks,
        unknownHostSeverity: opts.unknownHostSeverity,
        skipUnknownKinds,
      });
      if (checked.resources.length === 0) {
        throw new ControlPlaneError(
          'MESH_ERR_CP_BAD_REQUEST',
          'no document of a served kind in the request body',
        );
      }
      try {
        const applied = await store.apply(checked.resources, { dryRun, ifViewCurrent: view.token });
        return { result: applied, warnings: checked.warnings };
      } catch (err) {
        if (attempt < MAX_VIEW_ATTEMPTS && isControlPlaneError(err, 'MESH_ERR_CP_STALE_VIEW')) continue;
        throw err;
      }
    }
  });
  if (!dryRun && result.results.some((r) => r.action !== 'unchanged')) {
    opts.onChange?.({ revision: result.revision, source: 'apply' });
  }
  const body: ApplyResponse = { changeId: String(result.revision), dryRun, warnings, ...result };
  sendJson(ctx.res, 200, body);
}

async function list(ctx: RouteContext, store: ResourceStore, info: KindInfo | undefined): Promise<void> {
  const namespace = ctx.query.get('namespace') || undefined;
  const labelSelector = ctx.query.get('labelSelector') || undefined;
  const items = await store.list({ kind: info?.kind, namespace, labelSelector });
  sendJson(ctx.res, 200, {
    apiVersion: 'v1',
    kind: 'List',
    metadata: { resourceVersion: String(store.revision()) },
    items,
  });
}

async function get(ctx: RouteContext, store: ResourceStore): Promise<void> {
  const info = kindParam(ctx);
  const { namespace, name } = ctx.params;
  const resource = await store.get(info.kind, namespace, name);
  if (!resource)
    throw new ControlPlaneError('MESH_ERR_CP_NOT_FOUND', `${info.kind}/${namespace}/${name} not found`);
  sendJson(ctx.res, 200, resource);
}

async function remove(
  ctx: RouteContext,
  store: ResourceStore,
  validator: ResourceValidator,
  opts: ResourceRoutesOptions,
  exclusive: ReturnType<typeof serializer>,
): Promise<void> {
  const info = kindParam(ctx);
  const { namespace, name } = ctx.params;
  const resourceVersion = ctx.query.get('resourceVersion') || undefined;
  const { result, warnings } = await exclusive(async () => {
    const existing = await store.list();
    const deleted = await store.delete(info.kind, namespace, name, { resourceVersion });
    const key = { kind: info.kind, namespace, name };
    return { result: deleted, warnings: validator.analyzeDeletion(key, existing, opts.hooks) };
  });
  opts.onChange?.({ revision: result.revision, source: 'delete' });
  sendJson(ctx.res, 200, {
    changeId: String(result.revision),
    revision: result.revision,
    resource: result.resource,
    warnings,
  });
}

/** Reads a boolean query parameter (`true`/`false`/`1`/`0`/empty = true), naming it when malformed. */
export function booleanParam(query: URLSearchParams, name: string): boolean {
  const value = query.get(name);
  if (value === null || value === 'false' || value === '0') return false;
  if (value === '' || value === 'true' || value === '1') return true;
  throw new ControlPlaneError(
    'MESH_ERR_CP_BAD_REQUEST',
    `query parameter ${name} must be true or false (got "${value}")`,
  );
}
