/**
 * One attempt of a routed request: a host, a connection from that host's pool, a per-try timer,
 * and the accounting the cluster needs (`activeRequests`, `max_requests` slot, outcome report).
 * A request has one attempt at a time, or several when hedging on per-try timeout.
 */
import type { Socket } from 'node:net';
import type {
  ConnectionPool,
  UpstreamCallbacks,
  UpstreamConnection,
  UpstreamFailure,
} from '../http/upstream-callbacks.js';
import type { Cluster, Host, UpstreamOutcome } from '../upstream/types.js';

const MAX_FRESH_CONNECTION_RETRIES = 3;
const responseOutcomes: UpstreamOutcome[] = [];

/** The outcome object for a response status (shared, never mutated). */
export function responseOutcome(status: number): UpstreamOutcome {
  let o = responseOutcomes[status];
  if (o === undefined) responseOutcomes[status] = o = { kind: 'response', status };
  return o;
}

/** What an attempt reports to the request that owns it. */
export interface AttemptOwner {
  attemptReady(a: UpstreamAttempt, conn: UpstreamConnection): void;
  attemptHead(
    a: UpstreamAttempt,
    status: number,
    headers: string[],
    contentLength: number,
    endStream: boolean,
  ): void;
  attemptData(a: UpstreamAttempt, chunk: Buffer): void;
  attemptEnd(a: UpstreamAttempt, trailers: string[] | null): void;
  attemptFailed(a: UpstreamAttempt, kind: UpstreamFailure): void;
  attemptUpgraded(a: UpstreamAttempt, socket: Socket, leftover: Buffer | null, headers: string[]): void;
  attemptPerTryTimeout(a: UpstreamAttempt): void;
  upstreamDrained(): void;
  /** True when the request can be sent again from the start (no body, or the body is buffered). */
  canResend(): boolean;
}

/** One upstream attempt. */
export class UpstreamAttempt implements UpstreamCallbacks {
  conn: UpstreamConnection | null = null;
  readonly startMs = performance.now();
  private tryTimer: NodeJS.Timeout | null = null;
  private freshRetries = 0;
  private released = false;
  /** True once this attempt's response head was accepted as the request's response. */
  won = false;

  constructor(
    private readonly owner: AttemptOwner,
    readonly cluster: Cluster,
    readonly host: Host,
    private readonly pool: ConnectionPool,
    readonly number: number,
  ) {}

  /** Asks the pool for a connection and arms the per-try timer. */
  start(perTryTimeoutMs: number): void {
    this.host.activeRequests++;
    if (perTryTimeoutMs > 0) this.tryTimer = setTimeout(firePerTry, perTryTimeoutMs, this);
    this.pool.acquire(this, false);
  }

  get elapsedMs(): number {
    return performance.now() - this.startMs;
  }

  /** Reports the outcome to the cluster (outlier detection, least request). */
  report(outcome: UpstreamOutcome): void {
    this.cluster.reportOutcome(this.host, outcome, this.elapsedMs);
  }

  onPoolReady(conn: UpstreamConnection): void {
    if (this.released) {
      conn.abort();
      return;
    }
    this.conn = conn;
    this.owner.attemptReady(this, conn);
  }

  onResponseHead(status: number, headers: string[], contentLength: number, endStream: boolean): void {
    if (this.released) return;
    this.clearTryTimer();
    this.owner.attemptHead(this, status, headers, contentLength, endStream);
  }

  onResponseData(chunk: Buffer): void {
    if (!this.released) this.owner.attemptData(this, chunk);
  }

  onResponseEnd(trailers: string[] | null): void {
    // After release (a response that ended with its head, a retried or abandoned attempt) the
    // connection's own end-of-response callback has nothing left to do.
    if (!this.released) this.owner.attemptEnd(this, trailers);
  }

  onUpstreamFailure(kind: UpstreamFailure, safeToRetry: boolean): void {
    if (this.released) return;
    this.conn = null;
    if (
      safeToRetry &&
      !this.won &&
      this.freshRetries < MAX_FRESH_CONNECTION_RETRIES &&
      this.owner.canResend()
    ) {
      // The upstream closed a pooled keep-alive connection before answering: not a failure.
      this.freshRetries++;
      this.pool.acquire(this, true);
      return;
    }
    this.clearTryTimer();
    this.owner.attemptFailed(this, kind);
  }

  onUpgrade(socket: Socket, leftover: Buffer | null, headers: string[]): void {
    if (this.released) {
      socket.destroy();
      return;
    }
    this.conn = null;
    this.owner.attemptUpgraded(this, socket, leftover, headers);
  }

  onUpstreamDrain(): void {
    if (!this.released) this.owner.upstreamDrained();
  }

  /** @internal Called by the per-try timer. */
  onPerTryTimeout(): void {
    this.tryTimer = null;
    if (!this.released) this.owner.attemptPerTryTimeout(this);
  }

  private clearTryTimer(): void {
    if (this.tryTimer !== null) {
      clearTimeout(this.tryTimer);
      this.tryTimer = null;
    }
  }

  /** Stops the attempt wherever it is (waiting for a connection, or on one) and releases it. */
  abort(): void {
    if (this.released) return;
    if (this.conn !== null) this.conn.abort();
    else this.pool.cancel(this);
    this.conn = null;
    this.release();
  }

  /** Gives back the host's in-flight count and the cluster's request slot (once). */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.clearTryTimer();
    this.host.activeRequests--;
    this.cluster.limits.releaseRequest();
  }

  get isReleased(): boolean {
    return this.released;
  }
}

function firePerTry(a: UpstreamAttempt): void {
  a.onPerTryTimeout();
}
