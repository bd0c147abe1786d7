/**
 * The `--no-mesh` edge: a small HTTP router on the gateway port driven by the same Gateway
 * VirtualService YAML the mesh gateway uses (uri prefix/exact match, rewrite, weighted
 * destinations by subset → version label, per-route timeout). Instances are tried round-robin
 * and a refused connection fails over to the next one, so a dead replica costs no request.
 * The mesh gateway (`meshwork proxy --mode gateway`) replaces it when the mesh runs.
 */

import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  request,
  type Server,
  type ServerResponse,
} from 'node:http';
import { parseAllDocuments } from 'yaml';

/** One instance as the edge sees it. */
export interface EdgeEndpoint {
  port: number;
  version: string;
}

interface Destination {
  service: string;
  version?: string;
  weight: number;
}

interface EdgeRoute {
  name: string;
  prefix?: string;
  exact?: string;
  rewrite?: string;
  destinations: Destination[];
  totalWeight: number;
  timeoutMs: number;
}

type Obj = Record<string, any>;

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

function durationMs(text: unknown, fallback: number): number {
  if (typeof text !== 'string') return fallback;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(text);
  if (!m) return fallback;
  return Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 's' ? 1000 : 60_000);
}

/** Extracts the edge routes from mesh YAML files: VirtualServices bound to a gateway. */
export function loadEdgeRoutes(files: string[]): EdgeRoute[] {
  const docs: Obj[] = files.flatMap((f) =>
    parseAllDocuments(readFileSync(f, 'utf8')).map((d) => d.toJS() as Obj),
  );
  const subsets = new Map<string, string>();
  for (const dr of docs.filter((d) => d?.kind === 'DestinationRule')) {
    for (const s of dr.spec?.subsets ?? [])
      subsets.set(`${shortName(dr.spec.host)}/${s.name}`, s.labels?.version ?? s.name);
  }
  const routes: EdgeRoute[] = [];
  for (const vs of docs.filter((d) => d?.kind === 'VirtualService' && (d.spec?.gateways ?? []).length > 0)) {
    for (const [i, http] of (vs.spec.http ?? []).entries()) {
      const destinations: Destination[] = (http.route ?? []).map((r: Obj) => {
        const service = shortName(r.destination.host);
        const subset = r.destination.subset;
        return {
          service,
          version: subset ? subsets.get(`${service}/${subset}`) : undefined,
          weight: r.weight ?? 100,
        };
      });
      for (const match of http.match ?? [{ uri: { prefix: '/' } }]) {
        routes.push({
          name: http.name ?? `${vs.metadata?.name}[${i}]`,
          prefix: match.uri?.prefix,
          exact: match.uri?.exact,
          rewrite: http.rewrite?.uri,
          destinations,
          totalWeight: destinations.reduce((s, d) => s + d.weight, 0),
          timeoutMs: durationMs(http.timeout, 15_000),
        });
      }
    }
  }
  return routes;
}

function shortName(host: string): string {
  return String(host).split('.')[0];
}

/** The running edge. */
export interface Edge {
  server: Server;
  close(): Promise<void>;
}

/**
 * Starts the edge on `port`; `endpointsOf(service)` gives the instances to route to (a fixed
 * list, or the registry's ready instances so readiness gates edge traffic too).
 */
export async function startEdge(
  port: number,
  routes: EdgeRoute[],
  endpointsOf: (service: string) => readonly EdgeEndpoint[],
): Promise<Edge> {
  const cursor = new Map<string, number>();
  const server = createServer((req, res) => void handle(req, res));

  const pick = (dest: Destination): EdgeEndpoint[] => {
    const all = endpointsOf(dest.service);
    const matching = dest.version ? all.filter((e) => e.version === dest.version) : all;
    const start = cursor.get(dest.service) ?? 0;
    cursor.set(dest.service, start + 1);
    // The chosen subset first, the rest as failover: a dead canary replica must not fail requests.
    const rotated = matching.map((_, i) => matching[(start + i) % matching.length]);
    return rotated.concat(all.filter((e) => !matching.includes(e)));
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = req.url ?? '/';
    const pathname = path.split('?', 1)[0];
    const route = routes.find((r) =>
      r.exact !== undefined ? pathname === r.exact : pathname.startsWith(r.prefix ?? '/'),
    );
    if (!route) return problem(res, 404, `no route for ${pathname}`);
    let roll = Math.random() * route.totalWeight;
    const dest = route.destinations.find((d) => (roll -= d.weight) < 0) ?? route.destinations[0];
    const target = route.rewrite && route.prefix ? route.rewrite + path.slice(route.prefix.length) : path;
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    for (const ep of pick(dest)) {
      const outcome = await forward(req, res, ep.port, target, body, route.timeoutMs);
      if (outcome !== 'refused') return;
    }
    problem(res, 503, `no ready instance of ${dest.service} accepted the connection`);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    server,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

function forward(
  req: IncomingMessage,
  res: ServerResponse,
  port: number,
  path: string,
  body: Buffer,
  timeoutMs: number,
): Promise<'done' | 'refused'> {
  return new Promise((resolve) => {
    const headers = forwardHeaders(req, body.length);
    const up = request(
      { host: '127.0.0.1', port, path, method: req.method, headers, timeout: timeoutMs },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, withoutHopByHop(upRes.headers));
        upRes.pipe(res);
        upRes.once('end', () => resolve('done'));
        upRes.once('error', () => resolve('done'));
      },
    );
    up.once('timeout', () => {
      up.destroy();
      if (!res.headersSent) problem(res, 504, `upstream timed out after ${timeoutMs} ms`);
      resolve('done');
    });
    up.once('error', (err: NodeJS.ErrnoException) => {
      // A refused connect never reached an app. A reset before any response (a pooled socket the
      // peer closed, or an instance dying mid-accept) may have, so it is replayed only when idempotent.
      const reset = err.code === 'ECONNRESET' || err.code === 'EPIPE';
      if (err.code === 'ECONNREFUSED' || (reset && IDEMPOTENT.has(req.method ?? '')))
        return resolve('refused');
      if (!res.headersSent) problem(res, 502, `upstream failed: ${err.code ?? err.message}`);
      else res.destroy();
      resolve('done');
    });
    up.end(body);
  });
}

/** Connection-scoped headers (RFC 9110 §7.6.1) never cross a proxy. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

function withoutHopByHop(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = {};
  const named = new Set(
    String(headers.connection ?? '')
      .split(',')
      .map((h) => h.trim().toLowerCase()),
  );
  for (const [k, v] of Object.entries(headers)) if (!HOP_BY_HOP.has(k) && !named.has(k)) out[k] = v;
  return out;
}

function forwardHeaders(req: IncomingMessage, bodyLength: number): IncomingHttpHeaders {
  const out = withoutHopByHop(req.headers);
  const client = req.socket.remoteAddress ?? '';
  out['x-forwarded-for'] = out['x-forwarded-for'] ? `${out['x-forwarded-for']}, ${client}` : client;
  out['x-forwarded-proto'] = 'http';
  out['x-request-id'] ??= randomUUID();
  out['content-length'] = String(bodyLength);
  return out;
}

function problem(res: ServerResponse, status: number, detail: string): void {
  if (res.headersSent) return;
  const body = JSON.stringify({
    type: 'about:blank',
    title: status === 404 ? 'Not Found' : 'Bad Gateway',
    status,
    detail,
  });
  res.writeHead(status, {
    'content-type': 'application/problem+json',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}
