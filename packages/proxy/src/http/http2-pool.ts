/**
 * Per-host HTTP/2 upstream pool (`Host.pool` of clusters with `http2_protocol_options`): one
 * multiplexed h2c session per host, reopened when the upstream closes it (GOAWAY, error). Each
 * request is an {@link Http2UpstreamStream} on it. The session counts as one connection against
 * `max_connections`; requests count against `max_requests` in the router.
 */
import { type ClientHttp2Session, connect } from 'node:http2';
import { connectUpstreamTls } from '../tls/upstream-tls-context.js';
import type { Cluster, Host } from '../upstream/types.js';
import { Http2UpstreamStream } from './http2-upstream-stream.js';
import type { ConnectionPool, UpstreamCallbacks } from './upstream-callbacks.js';

/** The HTTP/2 pool of one upstream host. */
export class Http2Pool implements ConnectionPool {
  private session: ClientHttp2Session | null = null;
  private connecting = false;
  private readonly waiting: UpstreamCallbacks[] = [];
  private closed = false;

  constructor(
    private readonly host: Host,
    private readonly cluster: Cluster,
  ) {}

  /** The pool of `host`, created on first use. */
  static of(host: Host, cluster: Cluster): Http2Pool {
    let pool = host.pool as Http2Pool | null | undefined;
    if (!(pool instanceof Http2Pool) || pool.closed) {
      pool = new Http2Pool(host, cluster);
      host.pool = pool;
    }
    return pool;
  }

  acquire(cb: UpstreamCallbacks, fresh: boolean): void {
    const s = this.session;
    if (s !== null && !s.closed && !s.destroyed && !fresh && !this.connecting) {
      cb.onPoolReady(new Http2UpstreamStream(s));
      return;
    }
    this.waiting.push(cb);
    if (fresh && s !== null) {
      s.close();
      this.session = null;
    }
    if (!this.connecting) this.open();
  }

  cancel(cb: UpstreamCallbacks): void {
    const i = this.waiting.indexOf(cb);
    if (i >= 0) this.waiting.splice(i, 1);
  }

  private open(): void {
    if (!this.cluster.limits.tryAcquireConnection()) {
      for (const cb of this.waiting.splice(0)) cb.onUpstreamFailure('overflow', false);
      return;
    }
    this.connecting = true;
    const tls = this.cluster.tls;
    const { address, port } = this.host;
    const session =
      tls === undefined
        ? connect(`http://${address}:${port}`)
        : connect(`https://${address}:${port}`, {
            createConnection: () => connectUpstreamTls(tls, address, port, 'h2'),
          });
    this.session = session;
    let connected = false;
    const timer = setTimeout(() => session.destroy(), this.cluster.connectTimeoutMs);
    session.once('connect', () => {
      clearTimeout(timer);
      connected = true;
      this.connecting = false;
      for (const cb of this.waiting.splice(0)) cb.onPoolReady(new Http2UpstreamStream(session));
    });
    session.on('error', () => {});
    session.once('close', () => {
      clearTimeout(timer);
      this.cluster.limits.releaseConnection();
      if (this.session === session) this.session = null;
      if (!connected) {
        this.connecting = false;
        for (const cb of this.waiting.splice(0)) cb.onUpstreamFailure('connect-failure', false);
      }
    });
    session.on('goaway', () => {
      if (this.session === session) this.session = null;
    });
  }

  close(): void {
    this.closed = true;
    this.session?.close();
    this.session = null;
    for (const cb of this.waiting.splice(0)) cb.onUpstreamFailure('reset', false);
  }
}
