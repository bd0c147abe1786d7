/**
 * Per-host HTTP/1.1 keep-alive pool, stored in `Host.pool`. Idle connections are reused LIFO
 * (the warmest first) and closed after the cluster's `idle_timeout`; new connections count
 * against the cluster's `max_connections`; when that is reached, requests wait as pending up to
 * `max_pending_requests`, beyond which they overflow (503, response flag `UO`).
 */
import type { Cluster, Host } from '../upstream/types.js';
import { Http1UpstreamConnection, type PoolOwner } from './http1-upstream-connection.js';
import type { ConnectionPool, UpstreamCallbacks, UpstreamFailure } from './upstream-callbacks.js';

/** `socket.setTimeout` treats anything longer than a 32-bit timer as 1 ms: clamp to that. */
const MAX_TIMER_MS = 2_147_483_647;

/** The connection pool of one upstream host. */
export class Http1Pool implements PoolOwner, ConnectionPool {
  private readonly idle: Http1UpstreamConnection[] = [];
  private readonly connecting = new Set<Http1UpstreamConnection>();
  private readonly waiting: UpstreamCallbacks[] = [];
  /** Waiters holding a `max_pending_requests` slot (those that queued behind `max_connections`). */
  private readonly holdingPendingSlot = new Set<UpstreamCallbacks>();
  private readonly all = new Set<Http1UpstreamConnection>();
  private closed = false;

  constructor(
    private readonly host: Host,
    private readonly cluster: Cluster,
  ) {}

  /** The pool of `host`, created on first use. */
  static of(host: Host, cluster: Cluster): Http1Pool {
    let pool = host.pool as Http1Pool | null | undefined;
    if (pool == null || pool.closed) {
      pool = new Http1Pool(host, cluster);
      host.pool = pool;
    }
    return pool;
  }

  /** Number of open connections (idle + busy + connecting). */
  get size(): number {
    return this.all.size;
  }

  /**
   * Gets a connection for `cb` (synchronously when one is idle). `fresh` skips idle connections,
   * used when a reused one was just found closed by the upstream.
   */
  acquire(cb: UpstreamCallbacks, fresh: boolean): void {
    if (!fresh) {
      const conn = this.idle.pop();
      if (conn !== undefined) {
        conn.socket.setTimeout(0);
        cb.onPoolReady(conn);
        return;
      }
    }
    if (this.cluster.limits.tryAcquireConnection()) {
      this.open();
      this.waitFor(cb, true);
      return;
    }
    this.waitFor(cb, false);
  }

  private waitFor(cb: UpstreamCallbacks, connectionComing: boolean): void {
    if (connectionComing || this.cluster.limits.tryAcquirePending()) {
      if (!connectionComing) this.holdingPendingSlot.add(cb);
      this.waiting.push(cb);
      return;
    }
    cb.onUpstreamFailure('overflow', false);
  }

  /** Removes `cb` from the waiting list (the request was cancelled while waiting). */
  cancel(cb: UpstreamCallbacks): void {
    const i = this.waiting.indexOf(cb);
    if (i >= 0) {
      this.waiting.splice(i, 1);
      this.releasePendingSlot(cb);
    }
  }

  private releasePendingSlot(cb: UpstreamCallbacks): void {
    if (this.holdingPendingSlot.delete(cb)) {
      this.cluster.limits.releasePending();
    }
  }

  private open(): void {
    const conn = new Http1UpstreamConnection(
      this,
      this.host.address,
      this.host.port,
      this.cluster.connectTimeoutMs,
      this.cluster.tls,
      this.cluster.maxRequestsPerConnection,
    );
    this.all.add(conn);
    this.connecting.add(conn);
  }

  connected(conn: Http1UpstreamConnection): void {
    this.connecting.delete(conn);
    this.release(conn);
  }

  failedToConnect(conn: Http1UpstreamConnection, kind: UpstreamFailure): void {
    this.connecting.delete(conn);
    this.forget(conn);
    // One waiter fails per failed connection attempt; the rest still wait for theirs.
    const cb = this.waiting.shift();
    if (cb !== undefined) {
      this.releasePendingSlot(cb);
      cb.onUpstreamFailure(kind, false);
    }
  }

  release(conn: Http1UpstreamConnection): void {
    if (this.closed) {
      conn.destroy();
      return;
    }
    const cb = this.waiting.shift();
    if (cb !== undefined) {
      this.releasePendingSlot(cb);
      cb.onPoolReady(conn);
      return;
    }
    // The cluster's idle_timeout (0: never); the connection's own 'timeout' listener destroys it.
    conn.socket.setTimeout(Math.min(this.cluster.idleTimeoutMs, MAX_TIMER_MS));
    this.idle.push(conn);
  }

  remove(conn: Http1UpstreamConnection): void {
    const i = this.idle.indexOf(conn);
    if (i >= 0) this.idle.splice(i, 1);
    this.forget(conn);
  }

  private forget(conn: Http1UpstreamConnection): void {
    if (this.all.delete(conn)) this.cluster.limits.releaseConnection();
  }

  /** Closes idle connections now; busy ones close when their exchange ends. */
  close(): void {
    this.closed = true;
    for (const conn of this.idle.splice(0)) conn.destroy();
    for (const cb of this.waiting.splice(0)) {
      this.releasePendingSlot(cb);
      cb.onUpstreamFailure('reset', false);
    }
  }

  /** Closes idle connections only (drain). */
  closeIdle(): void {
    for (const conn of this.idle.splice(0)) conn.destroy();
  }
}
