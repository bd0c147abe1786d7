/**
 * A running listener: a `net.Server` whose connections get the HTTP/1.1 codec and the listener's
 * current HTTP connection manager. An LDS update swaps the HCM for new connections only; open
 * connections keep the one they started with. Drain stops accepting, lets in-flight requests
 * finish and closes idle keep-alive connections.
 */
import {
  createServer as createH2Server,
  type Http2Server,
  type Http2Session,
  type IncomingHttpHeaders,
  type ServerHttp2Stream,
} from 'node:http2';
import { createServer, type Server, type Socket } from 'node:net';
import { ProxyError } from '../errors.js';
import type { HttpConnectionManager } from '../http/connection-manager.js';
import { Http1ServerConnection } from '../http/http1-server-connection.js';
import { Http2ServerStream } from '../http/http2-server-stream.js';
import type { ListenerConfig } from './listener-config.js';

/** One bound listener. */
export class ProxyListener {
  private readonly server: Server;
  private readonly connections = new Set<Http1ServerConnection>();
  private readonly sessions = new Set<Http2Session>();
  /** AUTO-codec connections that have not sent their first bytes yet (idle by definition). */
  private readonly sniffing = new Set<Socket>();
  private h2: Http2Server | null = null;
  private draining = false;

  constructor(
    public config: ListenerConfig,
    public hcm: HttpConnectionManager,
  ) {
    this.server = createServer({ allowHalfOpen: true, noDelay: true }, this.onConnection.bind(this));
    this.server.on('error', () => {});
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
    return this.connections.size + this.sessions.size + this.sniffing.size;
  }

  /** Replaces the config and HCM for connections accepted from now on. */
  update(config: ListenerConfig, hcm: HttpConnectionManager): void {
    this.config = config;
    this.hcm = hcm;
  }

  private onConnection(socket: Socket): void {
    if (this.draining) {
      socket.destroy();
      return;
    }
    const codec = this.hcm.config.codec;
    if (codec === 'HTTP1') this.startHttp1(socket);
    else if (codec === 'HTTP2') this.startHttp2(socket);
    else {
      this.sniffing.add(socket);
      socket.once('close', () => this.sniffing.delete(socket));
      socket.on('error', () => {});
      const idleMs = this.hcm.config.limits.idleTimeoutMs;
      if (idleMs > 0) socket.setTimeout(idleMs, destroySocket);
      socket.once('data', (first: Buffer) => this.sniff(socket, first));
    }
  }

  /** AUTO: HTTP/2 prior knowledge starts with the connection preface; anything else is HTTP/1.x. */
  private sniff(socket: Socket, first: Buffer): void {
    this.sniffing.delete(socket);
    socket.setTimeout(0);
    socket.removeListener('timeout', destroySocket);
    socket.pause();
    socket.unshift(first);
    if (first.length >= 4 && first.toString('latin1', 0, 4) === 'PRI ') this.startHttp2(socket);
    else {
      this.startHttp1(socket);
      socket.resume();
    }
  }

  private startHttp2(socket: Socket): void {
    if (this.h2 === null) {
      this.h2 = createH2Server({ settings: { maxConcurrentStreams: this.hcm.config.maxConcurrentStreams } });
      this.h2.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => {
        this.hcm.onRequest(new Http2ServerStream(stream, headers, false));
      });
      this.h2.on('session', (session: Http2Session) => {
        const stats = this.hcm.stats;
        this.sessions.add(session);
        stats.cxTotal.inc();
        stats.cxActive.value++;
        session.on('error', () => {});
        session.once('close', () => {
          this.sessions.delete(session);
          stats.cxActive.value--;
        });
        if (this.draining) session.close();
      });
      this.h2.on('sessionError', () => {});
    }
    // node:http2 takes over the socket's handle and first drains what sniffing put back.
    this.h2.emit('connection', socket);
  }

  private startHttp1(socket: Socket): void {
    const hcm = this.hcm;
    const conn = new Http1ServerConnection(socket, hcm, hcm.config.limits, false);
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
    for (const s of this.sessions) s.close();
    for (const s of this.sniffing) s.destroy();
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
        for (const s of this.sessions) s.destroy();
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
    for (const s of this.sessions) s.destroy();
    for (const s of this.sniffing) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Timeout handler for a connection that never said anything (`this` is the socket). */
function destroySocket(this: Socket): void {
  this.destroy();
}
