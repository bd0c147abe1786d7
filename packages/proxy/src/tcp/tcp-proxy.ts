/**
 * The TCP proxy network filter of one filter chain (Envoy `envoy.filters.network.tcp_proxy`):
 * compiled config plus its stats, shared by every connection the chain accepts. Each connection
 * gets a {@link TcpSession} that picks a cluster and host and pipes bytes both ways.
 */
import type { Socket } from 'node:net';
import type { AccessLogSink } from '../access-log/access-log.js';
import type { ProxyRuntime } from '../http/connection-manager.js';
import type { TcpProxyConfig } from './tcp-proxy-config.js';
import { TcpSession } from './tcp-session.js';
import { TcpProxyStats } from './tcp-stats.js';

/**
 * A filter chain's TCP proxy.
 *
 * @example
 * const tcp = new TcpProxy(compileTcpProxy(typedConfig, 'filters[0].typed_config'), runtime);
 * server.on('connection', (socket) => tcp.onConnection(socket));
 */
export class TcpProxy {
  readonly stats: TcpProxyStats;

  /** `accessLogs`: sinks of the config's `access_log[]` (one JSON line per closed connection). */
  constructor(
    readonly config: TcpProxyConfig,
    readonly runtime: ProxyRuntime,
    readonly accessLogs: readonly AccessLogSink[] = [],
  ) {
    this.stats = new TcpProxyStats(runtime.stats, config.statPrefix);
  }

  /** Proxies `downstream` (plain or TLS-terminated; bytes already read must have been unshifted). */
  onConnection(downstream: Socket): TcpSession {
    this.stats.cxTotal.inc();
    this.stats.cxActive.value++;
    const session = new TcpSession(this, downstream);
    session.start();
    return session;
  }

  /** A cluster name: the only one, or a weighted pick made once per connection. */
  pickCluster(): string {
    const clusters = this.config.clusters;
    if (clusters.length === 1) return (clusters[0] as { name: string }).name;
    let r = Math.floor(Math.random() * this.config.totalWeight);
    for (const c of clusters) {
      if (r < c.weight) return c.name;
      r -= c.weight;
    }
    return (clusters[clusters.length - 1] as { name: string }).name;
  }
}
