/**
 * A running listener: a `net.Server` whose connections get their filter chain's network filter —
 * an HTTP connection manager behind a codec (HTTP/1.1, or HTTP/2 by preface sniffing,
 * `codec_type` or — over TLS — ALPN), or a TCP proxy. TLS listeners terminate first and SNI picks
 * the chain; listeners whose chains match on more than that (plaintext next to TLS, TLS
 * passthrough) inspect the first bytes before choosing. An LDS update swaps the chains for new
 * connections only; open connections keep the ones they started with. Drain stops accepting,
 * lets in-flight requests finish, closes idle keep-alive connections and leaves TCP proxy
 * connections to finish until the drain timeout.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { type AccessLogSink, FileAccessLog } from '../access-log/access-log.js';
import { ProxyError } from '../errors.js';
import type { HttpConnectionManager, ProxyRuntime } from '../http/connection-manager.js';
import { Http1ServerConnection, type RequestHandler } from '../http/http1-server-connection.js';
import { TcpProxy } from '../tcp/tcp-proxy.js';
import type { PeerIdentity } from '../tls/peer-identity.js';
import { TlsStats } from '../tls/tls-stats.js';
import { type TlsSession, TlsTerminator } from '../tls/tls-terminator.js';
import { PeerStamp } from './codec-setup.js';
import { Http2Sessions } from './http2-sessions.js';
import type { ListenerConfig } from './listener-config.js';
import { inspectConnection } from './tls-inspector.js';

/** What {@link ProxyListener} gets per filter chain: its HCM, or null for a TCP proxy chain. */
export type ChainHcms = HttpConnectionManager | readonly (HttpConnectionManager | null)[];

/** Envoy's `listener_filters_timeout` default: a client that sends no ClientHello in time is closed. */
const LISTENER_FILTERS_TIMEOUT_MS = 15_000;

/** One bound listener. */
export class ProxyListener {
  private readonly server: Server;
  private readonly connections = new Set<Http1ServerConnection>();
  private readonly sessions = new Http2Sessions(() => this.draining);
  /** AUTO-codec connections that have not sent their first bytes yet (idle by definition). */
  private readonly sniffing = new Set<Socket>();
  /** HCM of each filter chain (null for a TCP proxy chain). */
  private hcms: readonly (HttpConnectionManager | null)[];
  /** TCP proxy of each filter chain (null for an HTTP chain). */
  private tcpProxies: readonly (TcpProxy | null)[];
  /** Downstream connections handed to a TCP proxy (plain or TLS-terminated). */
  private readonly tcpConnections = new Set<Socket>();
  /** Connections whose first bytes the TLS inspector is still waiting for. */
  private readonly inspecting = new Set<Socket>();
  private readonly runtime: ProxyRuntime;
  /** TLS terminator of each chain (null: plaintext chain); one shared when SNI selects the chain. */
  private tls: readonly (TlsTerminator<number> | null)[];
  private tlsStats: TlsStats | null = null;
  /** TCP connections still in their TLS handshake, by `address:port` (the TLS socket wraps them). */
  private readonly handshaking = new Map<string, Socket>();
  private draining = false;
  /** The first HTTP filter chain's HCM, or null when every chain is a TCP proxy. */
  public hcm: HttpConnectionManager | null;

  /**
   * `hcm`: one HCM, or one per filter chain of `config` in order (null for TCP proxy chains).
   * `runtime` (clusters, stats) defaults to the first HCM's; it is required when there is none.
   * `accessLogFactory` opens the TCP proxies' `access_log` sinks (default: files).
   */
  constructor(
    public config: ListenerConfig,
    hcm: ChainHcms,
    runtime?: ProxyRuntime,
    private readonly accessLogFactory: (path: string) => AccessLogSink = (p) => new FileAccessLog(p),
  ) {
    this.hcms = Array.isArray(hcm) ? hcm : [hcm as HttpConnectionManager];
    this.hcm = this.hcms.find((h) => h !== null) ?? null;
    const rt = runtime ?? this.hcm?.runtime;
    if (rt === undefined) throw new Error(`listener ${config.name}: a TCP-only listener needs a runtime`);
    this.runtime = rt;
    this.tcpProxies = this.makeTcpProxies(config);
    this.tls = this.terminators(config);
    this.server = createServer({ allowHalfOpen: true, noDelay: true }, this.onConnection.bind(this));
    this.server.on('error', () => {});
  }

  private makeTcpProxies(config: ListenerConfig): (TcpProxy | null)[] {
    return config.filterChains.map((c) =>
      c.tcpProxy === undefined
        ? null
        : new TcpProxy(c.tcpProxy, this.runtime, c.tcpProxy.accessLogPaths.map(this.accessLogFactory)),
    );
  }

  /**
   * The TLS terminators of `config`'s chains. Without a selector all chains are TLS and share one
   * terminator whose SNI callback picks the chain; with one the chain is already chosen, so each
   * TLS chain gets its own (as its only, default, chain).
   */
  private terminators(config: ListenerConfig): (TlsTerminator<number> | null)[] {
    const all = config.filterChains;
    if (!all.some((c) => c.tls !== undefined)) return all.map(() => null);
    this.tlsStats = new TlsStats(this.runtime.stats, `${config.address}_${config.port}`);
    if (config.selector === null) {
      const shared = this.terminator(
        all.map((c, i) => ({ c, i })),
        `listener ${config.name}.filter_chains`,
      );
      return all.map(() => shared);
    }
    return all.map((c, i) =>
      c.tls === undefined
        ? null
        : this.terminator(
            [{ c: { ...c, serverNames: [] }, i }],
            `listener ${config.name}.filter_chains[${i}]`,
          ),
    );
  }

  /** A TLS terminator over `chains` (each with its index in the listener's chains). */
  private terminator(
    chains: readonly { c: ListenerConfig['filterChains'][number]; i: number }[],
    path: string,
  ): TlsTerminator<number> {
    const stats = this.tlsStats as TlsStats;
    return new TlsTerminator(
      chains.map(({ c, i }) => ({ serverNames: c.serverNames, tls: c.tls!, value: i })),
      path,
      this.onTlsSession.bind(this),
      {
        onReject: (why) => stats.rejected(why),
        // node applies one timeout per server; the chain is only known after the ClientHello.
        handshakeTimeoutMs: Math.max(...chains.map(({ c }) => c.handshakeTimeoutMs || 10_000)),
      },
    );
  }

  /** Binds the listener; resolves with the bound port. */
  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => {
        reject(
          new ProxyError(
            'MESH_ERR_PROXY_CONFIG',
            `listener ${this.config.name}: cannot bind ${this.config.address}:${this.config.port}: ${err.message}`,
            { cause: err },
          ),
        );
      };
      this.server.once('error', onError);
      this.server.listen({ host: this.config.address, port: this.config.port, backlog: 1024 }, () => {
        this.server.off('error', onError);
        resolve(this.port);
      });
    });
  }

  /** The bound port (useful with port 0). */
  get port(): number {
    const a = this.server.address();
    return a !== null && typeof a === 'object' ? a.port : this.config.port;
  }

  /** Number of open downstream connections. */
  get connectionCount(): number {
    return (
      this.connections.size +
      this.sessions.size +
      this.sniffing.size +
      this.handshaking.size +
      this.inspecting.size +
      this.tcpConnections.size
    );
  }

  /** Replaces the config and chains for connections accepted from now on. */
  update(config: ListenerConfig, hcm: ChainHcms): void {
    this.config = config;
    this.hcms = Array.isArray(hcm) ? hcm : [hcm as HttpConnectionManager];
    this.hcm = this.hcms.find((h) => h !== null) ?? null;
    this.tcpProxies = this.makeTcpProxies(config);
    this.tls = this.terminators(config);
  }

  private onConnection(socket: Socket): void {
    if (this.draining) {
      socket.destroy();
      return;
    }
    if (this.config.selector !== null) {
      this.inspect(socket);
      return;
    }
    this.startChain(socket, 0);
  }

  /** TLS inspector: reads the first bytes, puts them back and picks the chain from them. */
  private inspect(socket: Socket): void {
    const selector = this.config.selector!;
    this.inspecting.add(socket);
    socket.on('error', noop);
    inspectConnection(socket, LISTENER_FILTERS_TIMEOUT_MS, (found) => {
      this.inspecting.delete(socket);
      if (found === null || this.draining) {
        socket.destroy();
        return;
      }
      const matched = selector.select(socket.localPort ?? 0, found.serverName, found.transportProtocol);
      // No matching chain: the default_filter_chain, else Envoy closes the connection.
      const chain = matched >= 0 ? matched : this.config.defaultChain;
      if (chain < 0) socket.destroy();
      else this.startChain(socket, chain);
    });
  }

  /** Hands a connection to chain `i`: TLS termination first if it has it, else its filter. */
  private startChain(socket: Socket, i: number): void {
    const tls = this.tls[i];
    if (tls != null) {
      const key = `${socket.remoteAddress}:${socket.remotePort}`;
      this.handshaking.set(key, socket);
      socket.once('close', () => this.handshaking.delete(key));
      tls.accept(socket);
      return;
    }
    this.startFilter(socket, i, '', undefined);
  }

  /** Starts chain `i`'s network filter on a (possibly TLS-terminated) connection. */
  private startFilter(socket: Socket, i: number, alpn: string, peer: PeerIdentity | null | undefined): void {
    const tcp = this.tcpProxies[i];
    if (tcp != null) {
      this.tcpConnections.add(socket);
      socket.once('close', () => this.tcpConnections.delete(socket));
      tcp.onConnection(socket);
      return;
    }
    const hcm = this.hcms[i] ?? this.hcm;
    if (hcm === null) socket.destroy();
    else this.startCodec(socket, hcm, alpn, peer);
  }

  /** The handshake passed its chain's policy: ALPN picks the codec, else `codec_type` does. */
  private onTlsSession(session: TlsSession<number>): void {
    const s = session.socket;
    this.handshaking.delete(`${s.remoteAddress}:${s.remotePort}`);
    this.tlsStats?.accepted(session.peer === null);
    if (this.draining) {
      s.destroy();
      return;
    }
    this.startFilter(s, session.chain, session.alpn, session.peer);
  }

  private startCodec(
    socket: Socket,
    hcm: HttpConnectionManager,
    alpn: string,
    peer: PeerIdentity | null | undefined,
  ): void {
    // A fixed codec_type wins; AUTO follows ALPN, then the preface.
    let codec = hcm.config.codec;
    if (codec === 'AUTO' && alpn !== '') codec = alpn === 'h2' ? 'HTTP2' : 'HTTP1';
    if (codec === 'HTTP1') this.startHttp1(socket, hcm, peer);
    else if (codec === 'HTTP2') this.sessions.start(socket, hcm, peer);
    else {
      this.sniffing.add(socket);
      socket.once('close', () => this.sniffing.delete(socket));
      socket.on('error', () => {});
      const idleMs = hcm.config.limits.idleTimeoutMs;
      if (idleMs > 0) socket.setTimeout(idleMs, destroySocket);
      socket.once('data', (first: Buffer) => this.sniff(socket, first, hcm, peer));
    }
  }

  /** AUTO: HTTP/2 prior knowledge starts with the connection preface; anything else is HTTP/1.x. */
  private sniff(
    socket: Socket,
    first: Buffer,
    hcm: HttpConnectionManager,
    peer: PeerIdentity | null | undefined,
  ): void {
    this.sniffing.delete(socket);
    socket.setTimeout(0);
    socket.removeListener('timeout', destroySocket);
    socket.pause();
    socket.unshift(first);
    if (first.length >= 4 && first.toString('latin1', 0, 4) === 'PRI ')
      this.sessions.start(socket, hcm, peer);
    else {
      this.startHttp1(socket, hcm, peer);
      socket.resume();
    }
  }

  private startHttp1(
    socket: Socket,
    hcm: HttpConnectionManager,
    peer: PeerIdentity | null | undefined,
  ): void {
    // Plaintext connections talk to the HCM directly; TLS ones through a per-connection stamp.
    const handler: RequestHandler = peer === undefined ? hcm : new PeerStamp(hcm, peer);
    const conn = new Http1ServerConnection(socket, handler, hcm.config.limits, peer !== undefined);
    this.connections.add(conn);
    hcm.stats.cxTotal.inc();
    hcm.stats.cxActive.value++;
    socket.once('close', () => {
      this.connections.delete(conn);
      hcm.stats.cxActive.value--;
    });
  }

  /**
   * Stops accepting, closes idle connections, lets busy ones finish their current request,
   * then resolves (or force-closes everything after `timeoutMs`).
   */
  async drain(timeoutMs: number): Promise<void> {
    this.draining = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const c of this.connections) c.drain();
    this.sessions.closeAll();
    for (const s of this.sniffing) s.destroy();
    for (const s of this.inspecting) s.destroy();
    const allGone = new Promise<void>((resolve) => {
      const check = () => {
        if (this.connectionCount === 0) resolve();
        else setTimeout(check, 20).unref();
      };
      check();
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        for (const c of this.connections) c.socket.destroy();
        this.sessions.destroyAll();
        for (const s of this.handshaking.values()) s.destroy();
        for (const s of this.tcpConnections) s.destroy();
        resolve();
      }, timeoutMs);
    });
    await Promise.race([allGone, timeout]);
    clearTimeout(timer);
    await closed;
  }

  /** Closes at once: every connection is destroyed. */
  async close(): Promise<void> {
    this.draining = true;
    for (const c of this.connections) c.socket.destroy();
    this.sessions.destroyAll();
    for (const s of this.sniffing) s.destroy();
    for (const s of this.handshaking.values()) s.destroy();
    for (const s of this.inspecting) s.destroy();
    for (const s of this.tcpConnections) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Timeout handler for a connection that never said anything (`this` is the socket). */
function destroySocket(this: Socket): void {
  this.destroy();
}

function noop(): void {}
