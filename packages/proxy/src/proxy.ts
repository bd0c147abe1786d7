/**
 * The proxy process: one engine, two modes. It applies a bootstrap's static resources to a
 * {@link ConfigStore}, binds the listeners and the admin listener, and drains on request
 * (SIGTERM in the CLI): stop accepting, finish in-flight requests, close idle keep-alive
 * connections, then stop.
 */
import { type AccessLogSink, closeAccessLogs } from './access-log/access-log.js';
import { AdminServer } from './admin/admin-server.js';
import './filters/index.js';
import type { RequestHook } from './http/connection-manager.js';
import type { ClusterManager } from './upstream/cluster-manager.js';
import type { Bootstrap } from './xds/bootstrap.js';
import { ConfigStore } from './xds/config-store.js';

/** Options of {@link ProxyServer.start}. */
export interface ProxyOptions {
  /** `sidecar` or `gateway`; the same engine, reported on /server_info (default `sidecar`). */
  mode?: 'sidecar' | 'gateway';
  /** Overrides the bootstrap's admin port (0 = ephemeral; undefined = as bootstrap). */
  adminPort?: number;
  /** Use this cluster manager (tests inject clocks and random sources through it). */
  clusterManager?: ClusterManager;
  /** Overrides access-log sinks built from config (tests). */
  accessLogFactory?: (path: string) => AccessLogSink;
  /** Request hooks (tracing). */
  hooks?: RequestHook[];
  /**
   * Extra readiness condition: `/ready` answers `PRE_INITIALIZING` until it holds (xDS mode: the
   * first complete configuration from the control plane is serving).
   */
  initialized?: () => boolean;
  /**
   * xDS mode: resources not named here came from the control plane, and `/config_dump` lists them
   * as Envoy does dynamic ones (`dynamic_active_clusters`, `dynamic_listeners`). Unset: all static.
   */
  staticNames?: { listeners: readonly string[]; clusters: readonly string[] };
}

/** A running proxy. */
export class ProxyServer {
  private state: 'PRE_INITIALIZING' | 'LIVE' | 'DRAINING' = 'PRE_INITIALIZING';
  private admin: AdminServer | null = null;
  private draining: Promise<void> | null = null;
  /** Bound admin port, or 0 when there is no admin listener. */
  adminPort = 0;

  private constructor(
    readonly store: ConfigStore,
    readonly bootstrap: Bootstrap,
    readonly mode: 'sidecar' | 'gateway',
  ) {}

  /**
   * Starts a proxy from a bootstrap: clusters, then listeners, then admin.
   *
   * @example
   * const proxy = await ProxyServer.start(await loadBootstrap('envoy.yaml'), { mode: 'gateway' });
   * process.on('SIGTERM', () => proxy.drain(10_000).then(() => process.exit(0)));
   */
  static async start(bootstrap: Bootstrap, options: ProxyOptions = {}): Promise<ProxyServer> {
    const store = new ConfigStore(options.clusterManager, { accessLogFactory: options.accessLogFactory });
    if (options.hooks) store.hooks.push(...options.hooks);
    const proxy = new ProxyServer(store, bootstrap, options.mode ?? 'sidecar');
    try {
      store.applyClusters(bootstrap.clusters, 'static');
      await store.applyListeners(bootstrap.listeners, 'static');
      const admin = bootstrap.admin;
      if (admin !== null || options.adminPort !== undefined) {
        proxy.admin = new AdminServer({
          store,
          node: bootstrap.node,
          mode: proxy.mode,
          state: () =>
            proxy.state === 'LIVE' && options.initialized?.() === false ? 'PRE_INITIALIZING' : proxy.state,
          startedAt: Date.now(),
          staticNames:
            options.staticNames === undefined
              ? undefined
              : {
                  listeners: new Set(options.staticNames.listeners),
                  clusters: new Set(options.staticNames.clusters),
                },
          drain: () => void proxy.drain(10_000),
        });
        proxy.adminPort = await proxy.admin.listen(
          admin?.address ?? '127.0.0.1',
          options.adminPort ?? admin!.port,
        );
      }
    } catch (err) {
      await store.close();
      await proxy.admin?.close();
      throw err;
    }
    proxy.state = 'LIVE';
    return proxy;
  }

  /** Bound port of a listener by name. */
  listenerPort(name: string): number {
    const p = this.store.listenerPort(name);
    if (p === undefined) throw new Error(`no listener named ${name}`);
    return p;
  }

  /** Stops accepting, finishes in-flight requests (up to `timeoutMs`), closes idle connections. */
  drain(timeoutMs: number): Promise<void> {
    if (this.draining === null) {
      this.state = 'DRAINING';
      this.draining = this.store.drain(timeoutMs);
    }
    return this.draining;
  }

  /** Closes everything, including the admin listener and upstream pools. */
  async close(): Promise<void> {
    this.state = 'DRAINING';
    await this.store.close();
    await this.admin?.close();
    closeAccessLogs();
  }
}
