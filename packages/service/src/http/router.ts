/**
 * A small HTTP router: routes are compiled once into segment matchers; handlers receive a context
 * with params, query and a lazily-read JSON body, and return a value (sent as JSON) or a
 * {@link Reply}. Thrown {@link HttpError}s become RFC 9457 `application/problem+json`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { BadRequestError, HttpError, MeshError } from '../errors.js';

/** HTTP methods the router dispatches. */
export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';

/** What a handler sees. */
export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  params: Record<string, string>;
  query: URLSearchParams;
  /** Reads and parses the JSON body (cached); a malformed body throws a 400. */
  body<T = unknown>(): Promise<T>;
  /** The request logger (carries trace ids). */
  log: Logger;
}

/** An explicit answer: status, optional headers and a JSON body. */
export interface Reply {
  readonly kind: 'reply';
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

/** Builds a {@link Reply}. */
export function reply(status: number, body?: unknown, headers?: Record<string, string>): Reply {
  return { kind: 'reply', status, body, headers };
}

/** A request handler: returns a value to send as 200 JSON, a Reply, or undefined (it answered itself). */
export type Handler = (ctx: RequestContext) => unknown;

interface CompiledRoute {
  method: Method;
  segments: string[];
  handler: Handler;
}

/** Maximum JSON body accepted, in bytes. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** Routes requests by method and path pattern (`/orders/:id`). */
export class Router {
  private readonly routes: CompiledRoute[] = [];

  /** Adds a route; the pattern is split once here, not per request. */
  on(method: Method, pattern: string, handler: Handler): this {
    if (!pattern.startsWith('/'))
      throw new MeshError('MESH_ERR_INVALID_CONFIG', `route "${pattern}" must start with /`);
    this.routes.push({ method, segments: pattern.split('/').slice(1), handler });
    return this;
  }

  get(pattern: string, handler: Handler): this {
    return this.on('GET', pattern, handler);
  }
  post(pattern: string, handler: Handler): this {
    return this.on('POST', pattern, handler);
  }
  put(pattern: string, handler: Handler): this {
    return this.on('PUT', pattern, handler);
  }
  delete(pattern: string, handler: Handler): this {
    return this.on('DELETE', pattern, handler);
  }

  /** Finds the route for a method and path; `allowed` lists methods when only the path matched. */
  match(
    method: string,
    path: string,
  ): { handler: Handler; params: Record<string, string> } | { allowed: string[] } {
    const parts = path.split('/').slice(1);
    const allowed: string[] = [];
    for (const route of this.routes) {
      const params = matchSegments(route.segments, parts);
      if (!params) continue;
      if (route.method === method) return { handler: route.handler, params };
      allowed.push(route.method);
    }
    return { allowed };
  }

  /** Dispatches one request; errors are answered as problem+json. */
  async handle(req: IncomingMessage, res: ServerResponse, log: Logger): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    try {
      const found = this.match(req.method ?? 'GET', url.pathname);
      if ('allowed' in found) {
        if (found.allowed.length > 0) {
          res.setHeader('allow', found.allowed.join(', '));
          throw new HttpError(
            405,
            'MESH_ERR_METHOD_NOT_ALLOWED',
            `${req.method} is not allowed on ${url.pathname}`,
          );
        }
        throw new HttpError(404, 'MESH_ERR_NOT_FOUND', `no route for ${req.method} ${url.pathname}`);
      }
      let cached: Promise<unknown> | undefined;
      const ctx: RequestContext = {
        req,
        res,
        params: found.params,
        query: url.searchParams,
        body: <T>() => (cached ??= readJson(req)) as Promise<T>,
        log,
      };
      const result = await found.handler(ctx);
      if (!res.headersSent && !res.writableEnded) sendResult(res, result);
    } catch (err) {
      sendError(res, err, url.pathname, log);
    }
  }
}

function matchSegments(pattern: string[], parts: string[]): Record<string, string> | undefined {
  if (pattern.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i];
    if (p.startsWith(':')) {
      if (parts[i] === '') return undefined;
      params[p.slice(1)] = decodeParam(parts[i]);
    } else if (p !== parts[i]) return undefined;
  }
  return params;
}

function decodeParam(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new BadRequestError(`path segment "${raw}" is not valid percent-encoding`);
  }
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES)
      throw new HttpError(413, 'MESH_ERR_BODY_TOO_LARGE', `body exceeds ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return undefined;
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (err) {
    throw new BadRequestError(`request body is not valid JSON: ${(err as Error).message}`);
  }
}

/** Writes a JSON answer. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers?: Record<string, string>,
): void {
  const payload = body === undefined ? '' : JSON.stringify(body);
  res.statusCode = status;
  if (headers) for (const name in headers) res.setHeader(name, headers[name]);
  if (payload) res.setHeader('content-type', 'application/json');
  res.setHeader('content-length', Buffer.byteLength(payload));
  res.end(payload);
}

function sendResult(res: ServerResponse, result: unknown): void {
  if (result && typeof result === 'object' && (result as Reply).kind === 'reply') {
    const r = result as Reply;
    sendJson(res, r.status, r.body, r.headers);
  } else if (result === undefined) {
    sendJson(res, 204, undefined);
  } else {
    sendJson(res, 200, result);
  }
}

/** Converts any error into an RFC 9457 problem document and sends it. */
export function sendError(res: ServerResponse, err: unknown, instance: string, log: Logger): void {
  const http = err instanceof HttpError ? err : undefined;
  const status = http?.status ?? 500;
  const code = err instanceof MeshError ? err.code : 'MESH_ERR_INTERNAL';
  if (status >= 500) log.error({ err }, 'request failed');
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const problem: Record<string, unknown> = {
    type: `urn:meshwork:error:${code}`,
    title: http?.title ?? 'Internal Server Error',
    status,
    detail: http ? http.message : 'internal error',
    instance,
    code,
  };
  if (http?.errors) problem.errors = http.errors;
  const payload = JSON.stringify(problem);
  res.statusCode = status;
  res.setHeader('content-type', 'application/problem+json');
  res.setHeader('content-length', Buffer.byteLength(payload));
  res.end(payload);
}
