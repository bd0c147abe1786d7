/**
 * A running listener: a `net.Server` whose connections get the HTTP/1.1 codec and the listener's
 * current HTTP connection manager. An LDS update swaps the HCM for new connections only; open
 * connections keep the one they started with. Drain stops accepting, lets in-flight requests
 * finish and closes idle keep-alive connections.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { ProxyError } from '../errors.js';
import type { HttpConnectionManager } from '../http/connection-manager.js';
import { Http1ServerConnection } from '../http/http1-server-connection.js';
import type { ListenerConfig } from './listener-config.js';

/** One bound listener. */
export class ProxyListener {
  private readonly server: Server;
  private readonly connections = new Set<Http1ServerConnection>();
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
    return this.connections.size;
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
    const allGone = new Promise<void>((resolve) => {
      const check = () => {
        if (this.connections.size === 0) resolve();
        else setTimeout(check, 20).unref();
      };
      check();
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        for (const c of this.connections) c.socket.destroy();
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
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
