/**
 * The admin listener (Envoy's admin API, subset): `/ready`, `/server_info`, `/config_dump`,
 * `/clusters` (each endpoint with health and ejection state), `/listeners`,
 * `/stats/prometheus`, and `POST /drain_listeners`. It runs on node:http: it is not a hot path.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { ConfigStore } from '../xds/config-store.js';

/** What the admin pages show about the process. */
export interface AdminContext {
  readonly store: ConfigStore;
  readonly node: { id: string; cluster: string };
  readonly mode: 'sidecar' | 'gateway';
  /** LIVE, DRAINING, PRE_INITIALIZING (Envoy's server states). */
  state(): 'LIVE' | 'DRAINING' | 'PRE_INITIALIZING';
  readonly startedAt: number;
  /** Names of the bootstrap's resources; the others are dynamic (xDS). Unset: all static. */
  readonly staticNames?: { listeners: ReadonlySet<string>; clusters: ReadonlySet<string> };
  /** Starts a drain (the same as SIGTERM without exiting). */
  drain(): void;
}

/** The admin HTTP server. */
export class AdminServer {
  private readonly server: Server;

  constructor(private readonly ctx: AdminContext) {
    this.server = createServer((req, res) => this.handle(req, res));
  }

  /** Binds; resolves with the bound port. */
  listen(address: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, address, () => {
        const a = this.server.address();
        resolve(a !== null && typeof a === 'object' ? a.port : port);
      });
    });
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    let reply: Reply;
    try {
      reply = this.route(req);
    } catch (err) {
      reply = { status: 500, type: 'text/plain', body: `${(err as Error).message}\n` };
    }
    res.writeHead(reply.status, { 'content-type': reply.type });
    res.end(reply.body);
  }

  private route(req: IncomingMessage): Reply {
    const url = new URL(req.url ?? '/', 'http://admin');
    switch (url.pathname) {
      case '/ready': {
        const state = this.ctx.state();
        return text(state === 'LIVE' ? 200 : 503, `${state}\n`);
      }
      case '/server_info':
        return json(this.serverInfo());
      case '/config_dump':
        return json(this.configDump());
      case '/clusters':
        return url.searchParams.get('format') === 'json'
          ? json(this.clustersJson())
          : text(200, this.clustersText());
      case '/listeners':
        return json({ listener_statuses: this.listeners() });
      case '/stats/prometheus':
        return { status: 200, type: 'text/plain; version=0.0.4', body: this.ctx.store.stats.prometheus() };
      case '/drain_listeners':
        if (req.method !== 'POST') return text(405, 'POST required\n');
        this.ctx.drain();
        return text(200, 'OK\n');
      default:
        return text(404, `unknown admin path ${url.pathname}\n`);
    }
  }

  private serverInfo(): unknown {
    return {
      version: 'meshwork/0.1.0',
      state: this.ctx.state(),
      mode: this.ctx.mode,
      uptime_current_epoch: `${Math.floor((Date.now() - this.ctx.startedAt) / 1000)}s`,
      node: this.ctx.node,
      command_line_options: { concurrency: 1 },
    };
  }

  private configDump(): unknown {
    const store = this.ctx.store;
    const dump = store.dump();
    const v = store.versions;
    const meta = (x: { versionInfo: string; lastUpdated: string } | null) => ({
      version_info: x?.versionInfo ?? '',
      last_updated: x?.lastUpdated ?? '',
    });
    const names = this.ctx.staticNames;
    const clusters = partition(dump.clusters, names?.clusters);
    const listeners = partition(dump.listeners, names?.listeners);
    return {
      configs: [
        {
          '@type': 'type.googleapis.com/envoy.admin.v3.BootstrapConfigDump',
          bootstrap: { node: this.ctx.node },
        },
        {
          '@type': 'type.googleapis.com/envoy.admin.v3.ClustersConfigDump',
          ...pick(meta(v.clusters), 'version_info'),
          static_clusters: clusters.static.map((c) => ({
            cluster: c,
            last_updated: v.clusters?.lastUpdated ?? '',
          })),
          ...(clusters.dynamic.length > 0 && {
            dynamic_active_clusters: clusters.dynamic.map((c) => ({ ...meta(v.clusters), cluster: c })),
          }),
        },
        {
          '@type': 'type.googleapis.com/envoy.admin.v3.ListenersConfigDump',
          ...pick(meta(v.listeners), 'version_info'),
          static_listeners: listeners.static.map((l) => ({
            listener: l,
            last_updated: v.listeners?.lastUpdated ?? '',
          })),
          ...(listeners.dynamic.length > 0 && {
            dynamic_listeners: listeners.dynamic.map((l) => ({
              name: nameOf(l),
              active_state: { ...meta(v.listeners), listener: l },
            })),
          }),
        },
        {
          '@type': 'type.googleapis.com/envoy.admin.v3.RoutesConfigDump',
          dynamic_route_configs: dump.routes.map((r) => ({ route_config: r, ...meta(v.routes) })),
        },
      ],
    };
  }

  private clustersJson(): unknown {
    return {
      cluster_statuses: this.ctx.store.clusters.all().map((c) => ({
        name: c.name,
        host_statuses: c.hosts().map((h) => ({
          address: { socket_address: { address: h.address, port_value: h.port } },
          weight: h.weight,
          health_status: {
            eds_health_status: h.edsHealth,
            failed_active_health_check: h.failedActiveHealthCheck || undefined,
            failed_outlier_check: h.ejected || undefined,
          },
          stats: [{ name: 'rq_active', value: String(h.activeRequests), type: 'GAUGE' }],
        })),
      })),
    };
  }

  private clustersText(): string {
    let out = '';
    for (const c of this.ctx.store.clusters.all()) {
      for (const h of c.hosts()) {
        const p = `${c.name}::${h.key}::`;
        const flags = [
          h.failedActiveHealthCheck ? '/failed_active_hc' : '',
          h.ejected ? '/failed_outlier_check' : '',
        ].join('');
        out += `${p}health_flags::${flags === '' ? 'healthy' : flags}\n${p}weight::${h.weight}\n${p}rq_active::${h.activeRequests}\n`;
      }
    }
    return out;
  }

  private listeners(): unknown[] {
    return this.ctx.store.listenerList().map((l) => ({
      name: l.config.name,
      local_address: { socket_address: { address: l.config.address, port_value: l.port } },
    }));
  }
}

/** Splits resources into the bootstrap's (static) and the control plane's (dynamic). */
function partition(resources: unknown[], staticNames: ReadonlySet<string> | undefined) {
  if (staticNames === undefined) return { static: resources, dynamic: [] as unknown[] };
  return {
    static: resources.filter((r) => staticNames.has(nameOf(r))),
    dynamic: resources.filter((r) => !staticNames.has(nameOf(r))),
  };
}

function nameOf(resource: unknown): string {
  return String((resource as { name?: unknown }).name ?? '');
}

function pick<T extends object, K extends keyof T>(o: T, k: K): Pick<T, K> {
  return { [k]: o[k] } as Pick<T, K>;
}

interface Reply {
  status: number;
  type: string;
  body: string;
}

function json(body: unknown): Reply {
  return { status: 200, type: 'application/json', body: JSON.stringify(body, null, 2) };
}

function text(status: number, body: string): Reply {
  return { status, type: 'text/plain', body };
}
