/**
 * The proxy's configuration state: listeners, route configurations and clusters, each applied
 * from Envoy v3 resources (canonical Envoy JSON). Every apply compiles the whole update first and
 * only then swaps references, so a bad update throws a {@link ProxyConfigError} (the xDS client
 * NACKs it) and the previous configuration keeps serving. In-flight requests finish on the
 * configuration they started with; open connections stay open.
 */

import { type AccessLogSink, FileAccessLog } from '../access-log/access-log.js';
import { ProxyConfigError } from '../errors.js';
import { HttpConnectionManager, type ProxyRuntime, type RequestHook } from '../http/connection-manager.js';
import { ProxyListener } from '../listener/listener.js';
import { compileListener, type ListenerConfig } from '../listener/listener-config.js';
import { compileRouteConfig, type RouteTable } from '../router/route-config.js';
import { ClusterStats, RouteStats, StatsStore } from '../stats/stats.js';
import { upstreamExposition } from '../stats/upstream-exposition.js';
import { redactSecrets } from '../tls/redact-secrets.js';
import { ClusterManager } from '../upstream/cluster-manager.js';
import type { Cluster } from '../upstream/types.js';

/** Metadata of the last accepted update of one resource type, for /config_dump. */
export interface ResourceVersion {
  versionInfo: string;
  lastUpdated: string;
}

/** Options of a {@link ConfigStore}. */
export interface ConfigStoreOptions {
  /** Overrides the access-log sinks built from config (tests). */
  accessLogFactory?: (path: string) => AccessLogSink;
}

/** Holds and swaps the proxy's compiled configuration. */
export class ConfigStore implements ProxyRuntime {
  readonly stats = new StatsStore();
  readonly hooks: RequestHook[] = [];
  readonly clusters: ClusterManager;
  private readonly routes = new Map<string, RouteTable>();
  private readonly listeners = new Map<string, ProxyListener>();
  private readonly clusterStatsCache = new Map<string, ClusterStats>();
  private readonly routeStatsCache = new Map<string, RouteStats>();
  private readonly accessLogFactory: (path: string) => AccessLogSink;
  readonly versions: Record<'listeners' | 'routes' | 'clusters' | 'endpoints', ResourceVersion | null> = {
    listeners: null,
    routes: null,
    clusters: null,
    endpoints: null,
  };
  private clusterSources: unknown[] = [];

  constructor(clusters: ClusterManager = new ClusterManager(), options: ConfigStoreOptions = {}) {
    this.clusters = clusters;
    this.stats.addCollector(() => upstreamExposition(this.clusters.stats()));
    this.accessLogFactory = options.accessLogFactory ?? ((p) => new FileAccessLog(p));
  }

  getCluster(name: string): Cluster | undefined {
    return this.clusters.get(name);
  }

  getRouteTable(name: string): RouteTable | undefined {
    return this.routes.get(name);
  }

  routeStats(vhost: string, route: string): RouteStats {
    const key = `${vhost}\u0000${route}`;
    let s = this.routeStatsCache.get(key);
    if (s === undefined) {
      s = new RouteStats(this.stats, vhost, route);
      this.routeStatsCache.set(key, s);
    }
    return s;
  }

  clusterStats(name: string): ClusterStats {
    let s = this.clusterStatsCache.get(name);
    if (s === undefined) {
      s = new ClusterStats(this.stats, name);
      this.clusterStatsCache.set(name, s);
    }
    return s;
  }

  /** CDS: replaces the cluster set (all-or-nothing). */
  applyClusters(clusters: readonly unknown[], versionInfo = ''): void {
    this.clusters.applyClusters(clusters as Parameters<ClusterManager['applyClusters']>[0]);
    this.clusterSources = [...clusters];
    this.versions.clusters = stamp(versionInfo);
  }

  /** EDS: applies one ClusterLoadAssignment. */
  applyLoadAssignment(cla: unknown, versionInfo = ''): void {
    this.clusters.applyLoadAssignment(cla as Parameters<ClusterManager['applyLoadAssignment']>[0]);
    this.versions.endpoints = stamp(versionInfo);
  }

  /**
   * RDS: replaces or adds route configurations by name (state of the world when `replaceAll`).
   * Compiles everything first; on error nothing changes.
   */
  applyRouteConfigurations(configs: readonly unknown[], versionInfo = '', replaceAll = false): void {
    const compiled = configs.map((c, i) => compileRouteConfig(c, `route_configurations[${i}]`));
    const names = new Set<string>();
    compiled.forEach((t, i) => {
      if (t.name === '')
        throw new ProxyConfigError(`route_configurations[${i}].name`, 'required field is missing');
      if (names.has(t.name))
        throw new ProxyConfigError(
          `route_configurations[${i}].name`,
          `duplicate route configuration "${t.name}"`,
        );
      names.add(t.name);
    });
    if (replaceAll) this.routes.clear();
    for (const t of compiled) this.routes.set(t.name, t);
    this.versions.routes = stamp(versionInfo);
  }

  /**
   * LDS: replaces the listener set. New listeners are bound, changed ones swap their HCM for new
   * connections, removed ones drain. Throws before changing anything when a listener is invalid.
   */
  async applyListeners(listeners: readonly unknown[], versionInfo = ''): Promise<void> {
    const compiled = listeners.map((l, i) => compileListener(l, `listeners[${i}]`));
    const names = new Set<string>();
    compiled.forEach((l, i) => {
      if (names.has(l.name))
        throw new ProxyConfigError(`listeners[${i}].name`, `duplicate listener "${l.name}"`);
      names.add(l.name);
    });
    const started: ProxyListener[] = [];
    try {
      for (const cfg of compiled) {
        const existing = this.listeners.get(cfg.name);
        if (
          existing !== undefined &&
          existing.config.address === cfg.address &&
          existing.config.port === cfg.port
        )
          continue;
        const l = new ProxyListener(cfg, this.makeHcm(cfg), this, this.accessLogFactory);
        await l.listen();
        started.push(l);
      }
    } catch (err) {
      await Promise.all(started.map((l) => l.close()));
      throw err;
    }
    this.swapListeners(compiled, started);
    this.versions.listeners = stamp(versionInfo);
  }

  private swapListeners(compiled: ListenerConfig[], started: ProxyListener[]): void {
    const byName = new Map(started.map((l) => [l.config.name, l]));
    for (const cfg of compiled) {
      const fresh = byName.get(cfg.name);
      const existing = this.listeners.get(cfg.name);
      if (fresh !== undefined) {
        if (existing !== undefined) void existing.drain(5000);
        this.listeners.set(cfg.name, fresh);
      } else existing!.update(cfg, this.makeHcm(cfg));
    }
    const wanted = new Set(compiled.map((c) => c.name));
    for (const [name, l] of this.listeners) {
      if (!wanted.has(name)) {
        this.listeners.delete(name);
        void l.drain(5000);
      }
    }
  }

  /** One HCM per HTTP filter chain; null for a TCP proxy chain (the listener builds those). */
  private makeHcm(cfg: ListenerConfig): (HttpConnectionManager | null)[] {
    return cfg.filterChains.map((c) =>
      c.hcm === undefined
        ? null
        : new HttpConnectionManager(
            c.hcm,
            this,
            c.hcm.accessLogPaths.map((p) => this.accessLogFactory(p)),
          ),
    );
  }

  /** The running listeners. */
  listenerList(): ProxyListener[] {
    return [...this.listeners.values()];
  }

  /** Bound port of a listener by name (tests, tooling). */
  listenerPort(name: string): number | undefined {
    return this.listeners.get(name)?.port;
  }

  /** The raw resources in force, for /config_dump. */
  dump(): { listeners: unknown[]; routes: unknown[]; clusters: unknown[] } {
    return {
      // Inline private keys must never leave the process through the admin API.
      listeners: this.listenerList().map((l) => redactSecrets(l.config.source)),
      routes: [...this.routes.values()].map((t) => t.source),
      clusters: this.clusterSources.map(redactSecrets),
    };
  }

  /** Drains every listener (SIGTERM): stop accepting, finish in-flight, close idle connections. */
  async drain(timeoutMs: number): Promise<void> {
    await Promise.all(this.listenerList().map((l) => l.drain(timeoutMs)));
  }

  /** Closes everything at once. */
  async close(): Promise<void> {
    await Promise.all(this.listenerList().map((l) => l.close()));
    this.listeners.clear();
    for (const c of this.clusters.all()) {
      for (const h of c.hosts()) (h.pool as { close?: () => void } | null)?.close?.();
    }
    this.clusters.close();
  }
}

function stamp(versionInfo: string): ResourceVersion {
  return { versionInfo, lastUpdated: new Date().toISOString() };
}
