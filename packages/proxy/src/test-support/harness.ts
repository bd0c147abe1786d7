/**
 * Test harness for the proxy's integration tests: real upstream servers on port 0, a bootstrap
 * builder for the common shapes, a proxy with an in-memory access log, and raw-socket clients.
 */
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { connect } from 'node:net';
import { MemoryAccessLog } from '../access-log/access-log.js';
import { type ProxyOptions, ProxyServer } from '../proxy.js';
import { parseBootstrap } from '../xds/bootstrap.js';

/** What an upstream saw. */
export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A recording upstream. */
export interface Upstream {
  port: number;
  seen: SeenRequest[];
  server: Server;
  close(): Promise<void>;
}

/** Starts an upstream; the default handler answers 200 with `upstream <port>`. */
export async function startUpstream(
  handler?: (req: IncomingMessage, res: ServerResponse, body: string, seen: SeenRequest[]) => void,
): Promise<Upstream> {
  const seen: SeenRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      if (handler) handler(req, res, body, seen);
      else {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end(`upstream ${port}`);
      }
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    seen,
    server,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** A STATIC cluster over 127.0.0.1 ports. */
export function staticCluster(
  name: string,
  ports: number[],
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    name,
    type: 'STATIC',
    connect_timeout: '1s',
    load_assignment: {
      cluster_name: name,
      endpoints: [
        {
          lb_endpoints: ports.map((p) => ({
            endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: p } } },
          })),
        },
      ],
    },
    ...extra,
  };
}

/** Options of {@link buildBootstrap}. */
export interface BootstrapShape {
  routes: unknown[];
  clusters: unknown[];
  domains?: string[];
  filters?: unknown[];
  hcm?: Record<string, unknown>;
  vhost?: Record<string, unknown>;
  virtualHosts?: unknown[];
}

/** A one-listener bootstrap (as JSON text) with the given routes and clusters. */
export function buildBootstrap(s: BootstrapShape): Record<string, unknown> {
  const vhosts = s.virtualHosts ?? [
    { name: 'default', domains: s.domains ?? ['*'], routes: s.routes, ...s.vhost },
  ];
  return {
    node: { id: 'test-node', cluster: 'test' },
    admin: { address: { socket_address: { address: '127.0.0.1', port_value: 0 } } },
    static_resources: {
      listeners: [
        {
          name: 'main',
          address: { socket_address: { address: '127.0.0.1', port_value: 0 } },
          filter_chains: [
            {
              filters: [
                {
                  name: 'envoy.filters.network.http_connection_manager',
                  typed_config: {
                    '@type':
                      'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
                    stat_prefix: 'ingress',
                    access_log: [
                      {
                        name: 'log',
                        typed_config: {
                          '@type':
                            'type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StdoutAccessLog',
                        },
                      },
                    ],
                    route_config: { name: 'local', virtual_hosts: vhosts },
                    http_filters: [
                      ...(s.filters ?? []),
                      {
                        name: 'envoy.filters.http.router',
                        typed_config: {
                          '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router',
                        },
                      },
                    ],
                    ...s.hcm,
                  },
                },
              ],
            },
          ],
        },
      ],
      clusters: s.clusters,
    },
  };
}

/** A started proxy with its port and access log. */
export interface TestProxy {
  proxy: ProxyServer;
  port: number;
  log: MemoryAccessLog;
  close(): Promise<void>;
}

/** Starts a proxy from a bootstrap object. */
export async function startProxy(
  bootstrap: Record<string, unknown>,
  options: ProxyOptions = {},
): Promise<TestProxy> {
  const log = new MemoryAccessLog();
  const proxy = await ProxyServer.start(await parseBootstrap(JSON.stringify(bootstrap)), {
    accessLogFactory: () => log,
    ...options,
  });
  return { proxy, port: proxy.listenerPort('main'), log, close: () => proxy.close() };
}

/** A response as a client saw it. */
export interface ClientResponse {
  status: number;
  headers: IncomingMessage['headers'];
  body: string;
}

/** One request over a fresh connection (no agent). */
export function send(
  port: number,
  opts: { method?: string; path?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<ClientResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method: opts.method ?? 'GET',
        path: opts.path ?? '/',
        headers: opts.headers,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** Writes raw bytes and collects everything until the server closes (or `waitMs` passes). */
export function rawExchange(port: number, data: string | Buffer, waitMs = 1000): Promise<string> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const done = () => {
      clearTimeout(timer);
      sock.destroy();
      resolve(Buffer.concat(chunks).toString('latin1'));
    };
    const timer = setTimeout(done, waitMs);
    sock.on('data', (c) => chunks.push(c));
    sock.on('close', done);
    sock.on('error', done);
    sock.write(data);
  });
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
