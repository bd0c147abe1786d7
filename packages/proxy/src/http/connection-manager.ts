/**
 * The HTTP connection manager (HCM): Envoy's network filter that turns a downstream connection
 * into requests. One instance per listener filter chain holds the compiled {@link HcmConfig} and
 * the runtime it routes against; each request becomes an {@link ActiveStream}.
 */
import type { AccessLogSink } from '../access-log/access-log.js';
import type { RouteTable } from '../router/route-config.js';
import { type ClusterStats, HcmStats, type RouteStats, type StatsStore } from '../stats/stats.js';
import type { Cluster } from '../upstream/types.js';
import { ActiveStream } from './active-stream.js';
import type { HcmConfig } from './connection-manager-config.js';
import type { RequestHandler } from './http1-server-connection.js';
import type { DownstreamStream } from './stream.js';

/** What the HCM needs from the rest of the proxy. Read per request, so swaps apply to new requests only. */
export interface ProxyRuntime {
  /** Cluster by name from the current cluster set. */
  getCluster(name: string): Cluster | undefined;
  /** Route configuration by RDS name from the current set. */
  getRouteTable(name: string): RouteTable | undefined;
  readonly stats: StatsStore;
  clusterStats(name: string): ClusterStats;
  /** Stats of a named route of a virtual host. */
  routeStats(vhost: string, route: string): RouteStats;
  /** Hooks run at request start and end; the tracing issue attaches spans here. */
  readonly hooks: RequestHook[];
}

/** A place to observe requests (tracing spans, custom metrics). Must not throw. */
export interface RequestHook {
  onRequestStart?(stream: ActiveStream): void;
  onRequestEnd?(stream: ActiveStream): void;
}

/** One HTTP connection manager. */
export class HttpConnectionManager implements RequestHandler {
  readonly stats: HcmStats;
  /** Requests in flight, for drain. */
  activeRequests = 0;
  private idleWaiters: Array<() => void> = [];

  constructor(
    readonly config: HcmConfig,
    readonly runtime: ProxyRuntime,
    readonly accessLogs: readonly AccessLogSink[],
  ) {
    this.stats = new HcmStats(runtime.stats, config.statPrefix);
  }

  /** The route table in force for a new request. */
  routeTable(): RouteTable | null {
    if (this.config.routeConfig !== null) return this.config.routeConfig;
    return this.runtime.getRouteTable(this.config.rdsName!) ?? null;
  }

  onRequest(stream: DownstreamStream): void {
    this.activeRequests++;
    this.stats.rqTotal.inc();
    this.stats.rqActive.value++;
    new ActiveStream(this, stream).start();
  }

  onCodecError(status: number, _reason: string, _remoteAddress: string): void {
    this.stats.codecErrors.inc();
    this.stats.response(status);
  }

  /** Called by an ActiveStream when it is over. */
  requestDone(): void {
    this.activeRequests--;
    this.stats.rqActive.value--;
    if (this.activeRequests === 0 && this.idleWaiters.length > 0) {
      for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  /** Resolves when no request is in flight. */
  whenIdle(): Promise<void> {
    if (this.activeRequests === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}
