/**
 * One proxied TCP connection. The downstream socket is paused until an upstream host accepted
 * (the kernel buffers meanwhile); a failed connect tries another host up to
 * `max_connect_attempts`; then bytes flow both ways with back-pressure. A FIN from one side is
 * passed on after what precedes it is flushed (half-close, as Envoy); when one side closes, the
 * other is closed once its pending writes are flushed. Every upstream connection holds one of the
 * cluster's `max_connections` slots; no cluster, no host, an open breaker or exhausted attempts
 * close the downstream connection (a TCP proxy has no way to send an error).
 */
import { connect, type Socket } from 'node:net';
import type { AccessLogEntry } from '../access-log/access-log.js';
import { connectUpstreamTls } from '../tls/upstream-tls-context.js';
import type { Cluster, Host, UpstreamOutcome } from '../upstream/types.js';
import type { TcpProxy } from './tcp-proxy.js';

/** Node treats a timer longer than 32 bits as 1 ms: clamp to that. */
const MAX_TIMER_MS = 2_147_483_647;
const CONNECT_FAILURE: UpstreamOutcome = { kind: 'connect-failure' };
/**
 * Envoy reports a TCP connect success to outlier detection as `LocalOriginConnectSuccessFinal`,
 * which its non-split mode treats as a 200: it resets the host's consecutive-failure counters.
 */
const CONNECT_SUCCESS: UpstreamOutcome = { kind: 'response', status: 200 };

/** The state of one downstream connection and its upstream. */
export class TcpSession {
  private upstream: Socket | null = null;
  private readonly attempted: Host[] = [];
  private connectTimer: NodeJS.Timeout | null = null;
  private durationTimer: NodeJS.Timeout | null = null;
  private connected = false;
  private downstreamClosed = false;
  private flushing = false;
  private readonly startedAt = Date.now();
  private rxBytes = 0;
  private txBytes = 0;
  private clusterName: string | null = null;
  private host: Host | null = null;
  /** Envoy response flag of the access log ('-': none). */
  private responseFlag = '-';
  /** `address:port` of the client, read while the socket is open (access log only). */
  private remote = '';

  constructor(
    private readonly proxy: TcpProxy,
    readonly downstream: Socket,
  ) {}

  /** Picks the cluster and starts the first connect attempt. */
  start(): void {
    const d = this.downstream;
    if (this.proxy.accessLogs.length > 0) this.remote = `${d.remoteAddress}:${d.remotePort}`;
    d.pause();
    d.on('error', noop);
    d.once('close', this.onDownstreamClose.bind(this));
    const name = this.proxy.pickCluster();
    this.clusterName = name;
    const cluster = this.proxy.runtime.getCluster(name);
    if (cluster === undefined) {
      this.proxy.stats.cxNoRoute.inc();
      this.responseFlag = 'NC';
      d.destroy();
      return;
    }
    const maxMs = this.proxy.config.maxConnectionDurationMs;
    if (maxMs > 0)
      this.durationTimer = setTimeout(this.onMaxDuration.bind(this), Math.min(maxMs, MAX_TIMER_MS));
    this.connectNext(cluster);
  }

  private connectNext(cluster: Cluster): void {
    const host = cluster.chooseHost({ attemptedHosts: this.attempted });
    if (host === null) {
      this.proxy.runtime.clusterStats(cluster.name).noHealthy.inc();
      this.responseFlag = 'UH';
      this.downstream.destroy();
      return;
    }
    // The breaker's overflow counter (upstream_cx_overflow) is bumped by the limits themselves.
    if (!cluster.limits.tryAcquireConnection()) {
      this.responseFlag = 'UO';
      this.downstream.destroy();
      return;
    }
    this.attempted.push(host);
    this.host = host;
    const tls = cluster.tls;
    const up =
      tls === undefined
        ? connect({ host: host.address, port: host.port, allowHalfOpen: true, noDelay: true })
        : connectUpstreamTls(tls, host.address, host.port, '');
    this.upstream = up;
    up.on('error', noop);
    // One pair of listeners per attempt: a late event of a failed attempt must not touch the next.
    up.once(tls === undefined ? 'connect' : 'secureConnect', () => this.onUpstreamConnect(cluster, host, up));
    up.once('close', () => this.onUpstreamClose(cluster, host, up));
    this.connectTimer = setTimeout(destroySocket, cluster.connectTimeoutMs, up);
  }

  private onUpstreamConnect(cluster: Cluster, host: Host, up: Socket): void {
    this.clearConnectTimer();
    cluster.reportOutcome(host, CONNECT_SUCCESS, 0);
    if (this.downstreamClosed) {
      up.destroy();
      return;
    }
    this.connected = true;
    // The connection is the host's one "request" for its whole life (least-request balancing).
    host.activeRequests++;
    const d = this.downstream;
    d.on('data', this.onDownstreamData.bind(this));
    d.on('end', this.onDownstreamEnd.bind(this));
    d.on('drain', this.onDownstreamDrain.bind(this));
    up.on('data', this.onUpstreamData.bind(this));
    up.on('end', this.onUpstreamEnd.bind(this));
    up.on('drain', this.onUpstreamDrain.bind(this));
    const idleMs = this.proxy.config.idleTimeoutMs;
    if (idleMs > 0) {
      // Bytes either way touch both sockets (read on one, write on the other): either timer firing
      // means nothing moved in either direction for idle_timeout.
      const onIdle = this.onIdleTimeout.bind(this);
      d.setTimeout(Math.min(idleMs, MAX_TIMER_MS), onIdle);
      up.setTimeout(Math.min(idleMs, MAX_TIMER_MS), onIdle);
    }
    d.resume();
  }

  private onUpstreamClose(cluster: Cluster, host: Host, up: Socket): void {
    cluster.limits.releaseConnection();
    if (this.flushing) {
      this.flushing = false;
      this.proxy.stats.upstreamFlushActive.value--;
    }
    if (up !== this.upstream) return;
    if (this.connected) {
      host.activeRequests--;
      this.clearTimers();
      closeAfterFlush(this.downstream);
      return;
    }
    this.clearConnectTimer();
    if (this.downstreamClosed) return;
    cluster.reportOutcome(host, CONNECT_FAILURE, 0);
    this.proxy.runtime.clusterStats(cluster.name).connectFail.inc();
    if (this.attempted.length < this.proxy.config.maxConnectAttempts) this.connectNext(cluster);
    else {
      this.responseFlag = 'UF';
      this.downstream.destroy();
    }
  }

  private onDownstreamClose(): void {
    this.downstreamClosed = true;
    this.proxy.stats.cxActive.value--;
    if (this.proxy.accessLogs.length > 0) this.log();
    const up = this.upstream;
    if (up === null || up.destroyed) {
      this.clearTimers();
      return;
    }
    if (!this.connected) {
      this.clearTimers();
      up.destroy();
      return;
    }
    if (closeAfterFlush(up)) {
      // The idle timer stays armed on the upstream: a peer that never reads cannot pin it.
      this.flushing = true;
      this.proxy.stats.upstreamFlushTotal.inc();
      this.proxy.stats.upstreamFlushActive.value++;
    } else this.clearTimers();
  }

  private onDownstreamData(chunk: Buffer): void {
    this.rxBytes += chunk.length;
    this.proxy.stats.rxBytes.inc(chunk.length);
    const up = this.upstream as Socket;
    if (!up.write(chunk)) {
      this.downstream.pause();
      this.proxy.stats.pausedReading.inc();
    }
  }

  private onUpstreamDrain(): void {
    if (!this.downstream.isPaused()) return;
    this.downstream.resume();
    this.proxy.stats.resumedReading.inc();
  }

  private onUpstreamData(chunk: Buffer): void {
    this.txBytes += chunk.length;
    this.proxy.stats.txBytes.inc(chunk.length);
    if (!this.downstream.write(chunk)) (this.upstream as Socket).pause();
  }

  private onDownstreamDrain(): void {
    this.upstream?.resume();
  }

  /** Downstream half-closed: pass the FIN on once everything before it is written. */
  private onDownstreamEnd(): void {
    this.upstream?.end();
  }

  private onUpstreamEnd(): void {
    this.downstream.end();
  }

  private onIdleTimeout(): void {
    this.proxy.stats.idleTimeout.inc();
    this.closeBoth();
  }

  private onMaxDuration(): void {
    this.durationTimer = null;
    this.responseFlag = 'DT';
    this.proxy.stats.maxDurationReached.inc();
    this.closeBoth();
  }

  private closeBoth(): void {
    this.clearTimers();
    this.upstream?.destroy();
    this.downstream.destroy();
  }

  /** One access-log line for the connection, in the HCM's field set (HTTP fields empty). */
  private log(): void {
    const d = this.downstream;
    const sni = (d as Socket & { servername?: unknown }).servername;
    const entry: AccessLogEntry = {
      start_time: new Date(this.startedAt).toISOString(),
      method: '',
      path: '',
      protocol: 'TCP',
      response_code: 0,
      response_flags: this.responseFlag,
      bytes_received: this.rxBytes,
      bytes_sent: this.txBytes,
      duration_ms: Date.now() - this.startedAt,
      upstream_service_time_ms: null,
      upstream_host: this.host === null ? null : `${this.host.address}:${this.host.port}`,
      upstream_cluster: this.clusterName,
      route_name: null,
      x_request_id: null,
      user_agent: null,
      // A TLS-terminated connection carries its SNI (TLSSocket.servername).
      authority: typeof sni === 'string' ? sni : '',
      downstream_remote_address: this.remote,
      attempts: this.attempted.length,
    };
    for (const sink of this.proxy.accessLogs) sink.write(entry);
  }

  private clearConnectTimer(): void {
    if (this.connectTimer !== null) clearTimeout(this.connectTimer);
    this.connectTimer = null;
  }

  private clearTimers(): void {
    this.clearConnectTimer();
    if (this.durationTimer !== null) clearTimeout(this.durationTimer);
    this.durationTimer = null;
  }
}

/**
 * Closes `s` once its pending writes are flushed; true when it is still flushing. Closing right
 * away when nothing is pending, as Envoy's FlushWrite close does, so a peer that never sends its
 * FIN cannot hold the socket open.
 */
function closeAfterFlush(s: Socket): boolean {
  if (s.destroyed) return false;
  if (s.writableLength === 0) {
    s.destroy();
    return false;
  }
  s.once('finish', destroyThis);
  s.end();
  return true;
}

function destroyThis(this: Socket): void {
  this.destroy();
}

function destroySocket(s: Socket): void {
  s.destroy();
}

function noop(): void {}
