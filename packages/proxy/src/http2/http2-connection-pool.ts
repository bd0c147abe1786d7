/**
 * The HTTP/2 connection pool of one upstream host (`Host.pool` of clusters with
 * `http2_protocol_options`), shaped like Envoy's: requests become streams multiplexed on as few
 * sessions as possible; a session takes new streams while it has fewer than
 * min(cluster `max_concurrent_streams`, the upstream's SETTINGS value), so a full session makes
 * the pool open another (within `max_connections`). A session that received GOAWAY, hit
 * `max_requests_per_connection` or closed stops taking streams; its open streams finish and new
 * requests go to a fresh session. Requests that must wait while no session can be opened hold a
 * `max_pending_requests` slot.
 */
import { type ClientHttp2Session, connect } from 'node:http2';
import { Http2UpstreamStream, type StreamSlot } from '../http/http2-upstream-stream.js';
import type { ConnectionPool, UpstreamCallbacks } from '../http/upstream-callbacks.js';
import { connectUpstreamTls } from '../tls/upstream-tls-context.js';
import type { Cluster, Host } from '../upstream/types.js';

/** One session of the pool with its stream accounting. */
class PooledSession implements StreamSlot {
  active = 0;
  total = 0;
  connected = false;
  /** No new streams (GOAWAY, request cap, pool closed). */
  draining = false;

  constructor(
    private readonly pool: Http2ConnectionPool,
    readonly session: ClientHttp2Session,
  ) {}

  streamClosed(): void {
    this.active--;
    this.pool.streamClosed(this);
  }
}

/** Streams a session accepts before the pool looks elsewhere. */
function streamLimit(s: PooledSession, clusterLimit: number): number {
  const remote = s.session.remoteSettings?.maxConcurrentStreams;
  return remote === undefined ? clusterLimit : Math.min(remote, clusterLimit);
}

/** The HTTP/2 pool of one upstream host. */
export class Http2ConnectionPool implements ConnectionPool {
  private readonly sessions: PooledSession[] = [];
  private readonly waiting: UpstreamCallbacks[] = [];
  /** Waiters holding a `max_pending_requests` slot (queued because no session could be opened). */
  private readonly holdingPendingSlot = new Set<UpstreamCallbacks>();
  private closed = false;

  constructor(
    private readonly host: Host,
    private readonly cluster: Cluster,
  ) {}

  /** The pool of `host`, created on first use (or after the previous one was closed). */
  static of(host: Host, cluster: Cluster): Http2ConnectionPool {
    let pool = host.pool as Http2ConnectionPool | null | undefined;
    if (!(pool instanceof Http2ConnectionPool) || pool.closed) {
      pool = new Http2ConnectionPool(host, cluster);
      host.pool = pool;
    }
    return pool;
  }

  /** Sessions not yet closed (tests, admin). */
  get sessionCount(): number {
    return this.sessions.length;
  }

  acquire(cb: UpstreamCallbacks, _fresh: boolean): void {
    // `fresh` asks HTTP/1.1 pools to skip a reused connection; an HTTP/2 failure is never "safe to retry" that way.
    const s = this.available();
    if (s !== null) {
      this.assign(s, cb);
      return;
    }
    this.waiting.push(cb);
    this.grow();
  }

  cancel(cb: UpstreamCallbacks): void {
    const i = this.waiting.indexOf(cb);
    if (i >= 0) this.waiting.splice(i, 1);
    this.releasePendingSlot(cb);
  }

  close(): void {
    this.closed = true;
    for (const s of this.sessions) this.drainSession(s);
    this.failWaiting('reset');
  }

  /** A session with a free stream slot, or null. */
  private available(): PooledSession | null {
    const limit = this.maxStreams();
    for (const s of this.sessions) {
      if (s.connected && !s.draining && s.active < streamLimit(s, limit)) return s;
    }
    return null;
  }

  private maxStreams(): number {
    return this.cluster.http2Settings?.maxConcurrentStreams ?? 2147483647;
  }

  private assign(s: PooledSession, cb: UpstreamCallbacks): void {
    this.releasePendingSlot(cb);
    s.active++;
    s.total++;
    if (s.total >= this.cluster.maxRequestsPerConnection) this.drainSession(s);
    cb.onPoolReady(new Http2UpstreamStream(s.session, s));
  }

  /** Opens a session when the waiting requests need more room than sessions being opened will give. */
  private grow(): void {
    if (this.closed) return;
    let coming = 0;
    for (const s of this.sessions) if (!s.connected && !s.draining) coming += this.maxStreams();
    if (coming >= this.waiting.length) return;
    if (this.cluster.limits.tryAcquireConnection()) {
      this.open();
      return;
    }
    // max_connections reached: wait for a stream slot, as a pending request, or overflow.
    for (let i = this.waiting.length - 1; i >= 0; i--) {
      const cb = this.waiting[i] as UpstreamCallbacks;
      if (this.holdingPendingSlot.has(cb)) continue;
      if (this.sessions.length > 0 && this.cluster.limits.tryAcquirePending())
        this.holdingPendingSlot.add(cb);
      else {
        this.waiting.splice(i, 1);
        cb.onUpstreamFailure('overflow', false);
      }
    }
  }

  private open(): void {
    const tls = this.cluster.tls;
    const { address, port } = this.host;
    const session =
      tls === undefined
        ? connect(`http://${address}:${port}`)
        : connect(`https://${address}:${port}`, {
            createConnection: () => connectUpstreamTls(tls, address, port, 'h2'),
          });
    const s = new PooledSession(this, session);
    this.sessions.push(s);
    const timer = setTimeout(() => session.destroy(), this.cluster.connectTimeoutMs);
    // Streams start once the upstream's SETTINGS (its stream limit) arrived: before that node
    // assumes no limit, and streams above the real one would be refused.
    session.on('remoteSettings', () => {
      clearTimeout(timer);
      s.connected = true;
      this.serveWaiting();
    });
    session.on('error', () => {});
    session.on('goaway', () => this.drainSession(s));
    session.once('close', () => {
      clearTimeout(timer);
      this.onSessionClosed(s);
    });
  }

  private onSessionClosed(s: PooledSession): void {
    const i = this.sessions.indexOf(s);
    if (i >= 0) this.sessions.splice(i, 1);
    this.cluster.limits.releaseConnection();
    // A session that never connected fails the requests it was opened for (Envoy: pending failure).
    if (!s.connected && !this.sessions.some((o) => !o.draining)) this.failWaiting('connect-failure');
    else this.serveWaiting();
  }

  /** Stops new streams on `s`; closes it once its open streams finished. */
  private drainSession(s: PooledSession): void {
    s.draining = true;
    if (s.active === 0) s.session.close();
    if (this.waiting.length > 0) this.grow();
  }

  /** A stream ended: its slot may serve a waiting request, and a draining session may close. */
  streamClosed(s: PooledSession): void {
    if (s.draining && s.active === 0) s.session.close();
    if (this.waiting.length > 0) this.serveWaiting();
  }

  private serveWaiting(): void {
    while (this.waiting.length > 0) {
      const s = this.available();
      if (s === null) break;
      this.assign(s, this.waiting.shift() as UpstreamCallbacks);
    }
    if (this.waiting.length > 0) this.grow();
  }

  private failWaiting(kind: 'reset' | 'connect-failure'): void {
    for (const cb of this.waiting.splice(0)) {
      this.releasePendingSlot(cb);
      cb.onUpstreamFailure(kind, false);
    }
  }

  private releasePendingSlot(cb: UpstreamCallbacks): void {
    if (this.holdingPendingSlot.delete(cb)) this.cluster.limits.releasePending();
  }
}
