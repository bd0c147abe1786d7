/**
 * The control plane's REST server (port 15080 by default), composed from route lists: the
 * resource routes, the registry's, the change-tracking ones. Routes are compiled into a matcher
 * when the server is built, so a bad path pattern or a duplicate route fails at startup.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ControlPlaneError } from '../errors.js';
import { readBody } from './body.js';
import { sendProblem } from './http.js';

/** HTTP methods routes may serve. */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';

/** What a handler receives. */
export interface RouteContext {
  req: IncomingMessage;
  res: ServerResponse;
  /** Path parameters (`:id` → `params.id`), URL-decoded. */
  params: Record<string, string>;
  query: URLSearchParams;
  /**
   * The request body: parsed JSON for `application/json`, the text for YAML and `text/*`,
   * `undefined` when empty. Other content types are refused with 415; oversize bodies with 413.
   */
  body(): Promise<unknown>;
}

/** One endpoint. */
export interface Route {
  method: HttpMethod;
  /** Path pattern with `:name` segments, e.g. `/v1/registry/instances/:id`. */
  path: string;
  handler(ctx: RouteContext): Promise<void> | void;
}

/** Options of {@link createApiServer}. */
export interface ApiServerOptions {
  host?: string;
  /** 0 picks a free port. Default 15080. */
  port?: number;
  routes: readonly Route[];
  /** Largest accepted request body. Default 4 MiB. */
  bodyLimitBytes?: number;
  /** Where unexpected errors are logged. Default `console.error`. */
  log?: (message: string, err: unknown) => void;
}

/** A listening API server. */
export interface ApiServer {
  server: Server;
  host: string;
  port: number;
  /** `http://host:port`. */
  url: string;
  /** Stops accepting connections and closes open ones (including SSE streams). */
  close(): Promise<void>;
}

interface CompiledRoute {
  route: Route;
  segments: string[];
}

function compile(routes: readonly Route[]): CompiledRoute[] {
  const seen = new Set<string>();
  return routes.map((route) => {
    if (!route.path.startsWith('/')) throw new Error(`route path must start with "/": ${route.path}`);
    const shape = `${route.method} ${route.path.replace(/:[^/]+/g, ':')}`;
    if (seen.has(shape)) throw new Error(`duplicate route: ${route.method} ${route.path}`);
    seen.add(shape);
    return { route, segments: route.path.split('/').slice(1) };
  });
}

function matchPath(segments: string[], parts: string[]): Record<string, string> | undefined {
  if (segments.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i];
    if (seg.startsWith(':')) {
      if (parts[i] === '') return undefined;
      params[seg.slice(1)] = decodeURIComponent(parts[i]);
    } else if (seg !== parts[i]) return undefined;
  }
  return params;
}

/**
 * Builds the request listener for a route list (usable without listening, e.g. behind another server).
 */
export function createRequestHandler(opts: Omit<ApiServerOptions, 'host' | 'port'>) {
  const compiled = compile(opts.routes);
  const bodyLimitBytes = opts.bodyLimitBytes ?? 4 * 1024 * 1024;
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const parts = url.pathname.replace(/\/+$/, '').split('/').slice(1);
      const allowed: string[] = [];
      for (const c of compiled) {
        const params = matchPath(c.segments, parts.length === 0 ? [''] : parts);
        if (!params) continue;
        if (c.route.method !== req.method) {
          allowed.push(c.route.method);
          continue;
        }
        let bodyPromise: Promise<unknown> | undefined;
        const body = () => (bodyPromise ??= readBody(req, bodyLimitBytes));
        await c.route.handler({ req, res, params, query: url.searchParams, body });
        return;
      }
      if (allowed.length > 0) {
        const err = new ControlPlaneError(
          'MESH_ERR_CP_NO_ROUTE',
          `${req.method} is not allowed on ${url.pathname}`,
          {
            status: 405,
          },
        );
        return sendProblem(res, err, opts.log, { allow: allowed.join(', ') });
      }
      sendProblem(
        res,
        new ControlPlaneError('MESH_ERR_CP_NO_ROUTE', `no endpoint ${req.method} ${url.pathname}`),
      );
    } catch (err) {
      const reported =
        err instanceof URIError
          ? new ControlPlaneError('MESH_ERR_CP_BAD_REQUEST', 'malformed percent-encoding in the path')
          : err;
      sendProblem(res, reported, opts.log);
    }
  };
}

/**
 * Starts the REST server.
 *
 * @example
 * const api = await createApiServer({ port: 15080, routes: [...resourceRoutes(store), ...registryRoutes] });
 * // later: await api.close();
 */
export async function createApiServer(opts: ApiServerOptions): Promise<ApiServer> {
  const handler = createRequestHandler(opts);
  const server = createServer((req, res) => {
    void handler(req, res);
  });
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 15080, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    server,
    host,
    port,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
