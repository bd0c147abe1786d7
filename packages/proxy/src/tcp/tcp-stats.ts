/**
 * Envoy's `tcp.<stat_prefix>.*` statistics of the TCP proxy filter, exported as Envoy's
 * Prometheus exposition names them (`envoy_tcp_<stat>{envoy_tcp_prefix="<stat_prefix>"}`).
 * Resolved when a filter chain is built; the data path bumps fields in place.
 */
import type { Counter, Gauge, StatsStore } from '../stats/stats.js';

/** The series one `stat_prefix` owns. */
export class TcpProxyStats {
  readonly cxTotal: Counter;
  readonly cxNoRoute: Counter;
  readonly cxActive: Gauge;
  readonly rxBytes: Counter;
  readonly txBytes: Counter;
  readonly pausedReading: Counter;
  readonly resumedReading: Counter;
  readonly idleTimeout: Counter;
  readonly maxDurationReached: Counter;
  readonly upstreamFlushTotal: Counter;
  readonly upstreamFlushActive: Gauge;

  constructor(store: StatsStore, statPrefix: string) {
    const l = { envoy_tcp_prefix: statPrefix };
    const c = (name: string, help: string) => store.counter(`envoy_tcp_${name}`, help, l);
    this.cxTotal = c('downstream_cx_total', 'Connections handled by the TCP proxy');
    this.cxNoRoute = c('downstream_cx_no_route', 'Connections whose cluster was not found');
    this.cxActive = store.gauge('envoy_tcp_downstream_cx_active', 'Open TCP proxy connections', l);
    this.rxBytes = c('downstream_cx_rx_bytes_total', 'Bytes read from downstream');
    this.txBytes = c('downstream_cx_tx_bytes_total', 'Bytes written to downstream');
    this.pausedReading = c(
      'downstream_flow_control_paused_reading_total',
      'Downstream reads paused by back-pressure',
    );
    this.resumedReading = c('downstream_flow_control_resumed_reading_total', 'Downstream reads resumed');
    this.idleTimeout = c('idle_timeout', 'Connections closed by idle_timeout');
    this.maxDurationReached = c(
      'max_downstream_connection_duration',
      'Connections closed by max_downstream_connection_duration',
    );
    this.upstreamFlushTotal = c(
      'upstream_flush_total',
      'Connections that kept flushing upstream after the downstream closed',
    );
    this.upstreamFlushActive = store.gauge(
      'envoy_tcp_upstream_flush_active',
      'Connections still flushing upstream after the downstream closed',
      l,
    );
  }
}
