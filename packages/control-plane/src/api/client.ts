/**
 * A typed client of the resource REST API, used by the `meshwork` CLI and by tests. Problem
 * responses come back as the same `ControlPlaneError`s the server raised (a 400 with validation
 * errors as a `ValidationError`), so callers branch on `code` on both sides of the wire.
 */
import {
  ControlPlaneError,
  type ControlPlaneErrorCode,
  defaultStatusByCode,
  ValidationError,
  type ValidationIssue,
} from '../errors.js';
import type { StoredResource } from '../resources/resource.js';
import type { WatchEvent } from '../store/resource-store.js';
import type { ApplyResponse } from './resource-routes.js';

/** Body of a successful delete: the change id, the last state, and what the delete breaks. */
export interface DeleteResponse {
  changeId: string;
  revision: number;
  resource: StoredResource;
  /** VirtualServices left routing to something that no longer exists. */
  warnings: ValidationIssue[];
}

/** The default API address; `MESHWORK_SERVER` overrides it for the CLI. */
export const DEFAULT_SERVER = 'http://127.0.0.1:15080';

/** A client of one control plane. */
export class ResourceClient {
  readonly baseUrl: string;

  constructor(baseUrl: string = DEFAULT_SERVER) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
  }

  /** Applies documents all-or-nothing. */
  apply(
    documents: unknown[],
    opts: { dryRun?: boolean; skipUnknownKinds?: boolean } = {},
  ): Promise<ApplyResponse> {
    const params = new URLSearchParams();
    if (opts.dryRun) params.set('dryRun', 'true');
    if (opts.skipUnknownKinds) params.set('skipUnknownKinds', 'true');
    const query = params.size > 0 ? `?${params}` : '';
    return this.#request('POST', `/v1/resources${query}`, documents) as Promise<ApplyResponse>;
  }

  /** One resource; `NotFoundError`-coded error when absent. */
  get(kind: string, namespace: string, name: string): Promise<StoredResource> {
    return this.#request(
      'GET',
      `/v1/resources/${seg(kind)}/${seg(namespace)}/${seg(name)}`,
    ) as Promise<StoredResource>;
  }

  /** Resources of a kind (or all kinds), optionally filtered. */
  async list(
    kind?: string,
    filter: { namespace?: string; labelSelector?: string } = {},
  ): Promise<StoredResource[]> {
    return (await this.listWithRevision(kind, filter)).items;
  }

  /** Like {@link list}, with the store revision the list reflects (to watch from). */
  async listWithRevision(
    kind?: string,
    filter: { namespace?: string; labelSelector?: string } = {},
  ): Promise<{ items: StoredResource[]; revision: number }> {
    const query = new URLSearchParams();
    if (filter.namespace) query.set('namespace', filter.namespace);
    if (filter.labelSelector) query.set('labelSelector', filter.labelSelector);
    const qs = query.size > 0 ? `?${query}` : '';
    const body = (await this.#request('GET', `/v1/resources${kind ? `/${seg(kind)}` : ''}${qs}`)) as {
      items: StoredResource[];
      metadata?: { resourceVersion?: string };
    };
    return { items: body.items, revision: Number(body.metadata?.resourceVersion ?? 0) };
  }

  /** Deletes one resource. */
  delete(
    kind: string,
    namespace: string,
    name: string,
    opts: { resourceVersion?: string } = {},
  ): Promise<DeleteResponse> {
    const qs = opts.resourceVersion ? `?resourceVersion=${encodeURIComponent(opts.resourceVersion)}` : '';
    const path = `/v1/resources/${seg(kind)}/${seg(namespace)}/${seg(name)}${qs}`;
    return this.#request('DELETE', path) as Promise<DeleteResponse>;
  }

  /**
   * Follows `GET /v1/watch` (Server-Sent Events) and yields each store event until `signal`
   * aborts or the server ends the stream.
   *
   * @example
   * for await (const e of client.watch({ fromRevision: 0, kind: 'vs' }, AbortSignal.timeout(5000))) console.log(e.type);
   */
  async *watch(
    filter: { fromRevision?: number; kind?: string; namespace?: string } = {},
    signal?: AbortSignal,
  ): AsyncGenerator<WatchEvent> {
    const query = new URLSearchParams({ fromRevision: String(filter.fromRevision ?? 0) });
    if (filter.kind) query.set('kind', filter.kind);
    if (filter.namespace) query.set('namespace', filter.namespace);
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}/v1/watch?${query}`, { signal });
    } catch (err) {
      if (signal?.aborted) return;
      throw new ControlPlaneError(
        'MESH_ERR_CP_UNREACHABLE',
        `cannot reach the control plane at ${this.baseUrl}`,
        {
          cause: err,
        },
      );
    }
    if (!res.ok || !res.body) throw problemToError(res.status, safeJson(await res.text()), '');
    yield* readEvents(res.body, signal);
  }

  /** The convergence report of a change, or `undefined` while the server has none (404). */
  async change(id: string): Promise<unknown | undefined> {
    try {
      return await this.#request('GET', `/changes/${seg(id)}`);
    } catch (err) {
      if (err instanceof ControlPlaneError && err.status === 404) return undefined;
      throw err;
    }
  }

  async #request(method: string, path: string, body?: unknown): Promise<unknown> {
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      throw new ControlPlaneError(
        'MESH_ERR_CP_UNREACHABLE',
        `cannot reach the control plane at ${this.baseUrl}`,
        {
          cause: err,
        },
      );
    }
    const text = await res.text();
    const parsed = text ? safeJson(text) : undefined;
    if (res.ok) return parsed;
    throw problemToError(res.status, parsed, text);
  }
}

/** Parses an SSE stream into store events (frames without `data` — comments, retry — are skipped). */
async function* readEvents(
  body: ReadableStream<Uint8Array>,
  signal?: AbortSignal,
): AsyncGenerator<WatchEvent> {
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = frame
          .split('\n')
          .filter((l) => l.startsWith('data: '))
          .map((l) => l.slice(6))
          .join('\n');
        if (data) yield JSON.parse(data) as WatchEvent;
        end = buffer.indexOf('\n\n');
      }
    }
  } catch (err) {
    if (!signal?.aborted) throw err;
  }
}

function seg(value: string): string {
  return encodeURIComponent(value);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function problemToError(status: number, problem: unknown, text: string): ControlPlaneError {
  const p = (problem ?? {}) as { code?: string; detail?: string; errors?: ValidationIssue[] };
  if (p.code === 'MESH_ERR_CP_VALIDATION' && Array.isArray(p.errors)) return new ValidationError(p.errors);
  const code = (
    p.code && p.code in defaultStatusByCode ? p.code : 'MESH_ERR_CP_INTERNAL'
  ) as ControlPlaneErrorCode;
  return new ControlPlaneError(code, p.detail ?? `HTTP ${status}: ${text.slice(0, 200)}`, { status });
}
