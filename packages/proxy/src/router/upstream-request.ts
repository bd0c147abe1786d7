/**
 * The router's per-request state machine: picks the cluster and host, sends attempts over the
 * host's connection pool, applies the route's timeout, per-try timeout, retry policy (with
 * back-off, `max_retries` and budget from the cluster limits) and forwards the response. A
 * pooled connection found closed by the upstream before any response byte is replaced by a
 * fresh one without spending a retry.
 */
import type { Socket } from 'node:net';
import type { ActiveStream, DownstreamWatcher } from '../http/active-stream.js';
import { poolFor } from '../http/pools.js';
import type { BodyReader } from '../http/stream.js';
import type {
  ConnectionPool,
  UpstreamCallbacks,
  UpstreamConnection,
  UpstreamFailure,
} from '../http/upstream-callbacks.js';
import type { ClusterStats } from '../stats/stats.js';
import type { Cluster, Host, LbContext, UpstreamOutcome } from '../upstream/types.js';
import { computeHash } from './hash-policy.js';
import { applyHeaderMutation, indexOfHeader } from './header-mutation.js';
import { buildUpstreamHead, type PreparedHead } from './request-builder.js';
import {
  type AttemptFailure,
  backoffMs,
  type RetryPolicy,
  retriableFailure,
  retriableResponse,
} from './retry-policy.js';
import type { RouteAction, WeightedCluster } from './route-action.js';

/** Request bodies up to this size are kept for replay on retry; larger ones are not retried. */
const RETRY_BUFFER_BYTES = 1024 * 1024;
const MAX_FRESH_CONNECTION_RETRIES = 3;
const EMPTY_CTX: LbContext = {};
const OUTCOME_CONNECT_FAILURE: UpstreamOutcome = { kind: 'connect-failure' };
const OUTCOME_RESET: UpstreamOutcome = { kind: 'reset' };
const OUTCOME_TIMEOUT: UpstreamOutcome = { kind: 'timeout' };
const responseOutcomes: UpstreamOutcome[] = [];

function responseOutcome(status: number): UpstreamOutcome {
  let o = responseOutcomes[status];
  if (o === undefined) responseOutcomes[status] = o = { kind: 'response', status };
  return o;
}

/** One routed request towards a cluster. */
export class UpstreamRequest implements UpstreamCallbacks, BodyReader, DownstreamWatcher {
  private readonly retry: RetryPolicy;
  private readonly head: PreparedHead;
  private readonly hash: number | undefined;
  private conn: UpstreamConnection | null = null;
  private pool: ConnectionPool | null = null;
  private host: Host | null = null;
  private attempted: Host[] | null = null;
  private body: Buffer[] | null = [];
  private bodyBytes = 0;
  private bodyDone: boolean;
  private replayable = true;
  private retriesLeft: number;
  private attempt = 0;
  private freshRetries = 0;
  private attemptStartMs = 0;
  private responseStarted = false;
  private discardEnd = false;
  private holdingRetry = false;
  private done = false;
  private globalTimer: NodeJS.Timeout | null = null;
  private tryTimer: NodeJS.Timeout | null = null;
  private backoffTimer: NodeJS.Timeout | null = null;
  /** Route `idle_timeout` (else HCM `stream_idle_timeout`): refreshed by every body chunk. */
  private idleTimer: NodeJS.Timeout | null = null;
  /** HCM `request_timeout`: the whole request body must arrive within it. */
  private requestTimer: NodeJS.Timeout | null = null;
  /** Mirrors that receive a copy of the request body. */
  private shadows: BodyReader[] | null = null;

  constructor(
    private readonly as: ActiveStream,
    private readonly action: RouteAction,
    private readonly cluster: Cluster,
    private readonly stats: ClusterStats,
    private readonly weighted: WeightedCluster | null,
  ) {
    this.retry = action.retry.retryOn === 0 && as.vhost!.retry !== null ? as.vhost!.retry : action.retry;
    this.retriesLeft = this.retry.numRetries;
    this.bodyDone = !as.downstream.hasBody;
    this.head = buildUpstreamHead(as, action, weighted);
    this.hash = action.hashPolicy.length > 0 ? computeHash(action.hashPolicy, as) : undefined;
  }

  /** The request head as sent upstream, for mirrors. */
  get upstreamHead(): PreparedHead {
    return this.head;
  }

  /** Tees the request body to a mirror. */
  addShadow(reader: BodyReader): void {
    if (this.shadows === null) this.shadows = [];
    this.shadows.push(reader);
  }

  start(): void {
    const as = this.as;
    as.watcher = this;
    const timeoutMs = this.timeoutMs();
    if (timeoutMs > 0 && as.downstream.upgrade === '')
      this.globalTimer = setTimeout(this.onGlobalTimeout.bind(this), timeoutMs);
    const hcm = as.hcm.config;
    const idleMs = this.action.idleTimeoutMs > 0 ? this.action.idleTimeoutMs : hcm.streamIdleTimeoutMs;
    if (idleMs > 0 && as.downstream.upgrade === '')
      this.idleTimer = setTimeout(this.onIdleTimeout.bind(this), idleMs);
    if (as.downstream.hasBody) {
      if (hcm.requestTimeoutMs > 0)
        this.requestTimer = setTimeout(this.onRequestTimeout.bind(this), hcm.requestTimeoutMs);
      as.downstream.readBody(this);
    }
    this.sendAttempt();
  }

  private timeoutMs(): number {
    const a = this.action;
    if (!a.honourGrpcTimeout) return a.timeoutMs;
    const i = indexOfHeader(this.as.requestHeaders, 'grpc-timeout');
    if (i < 0) return a.timeoutMs;
    const ms = parseGrpcTimeout(this.as.requestHeaders[i + 1]);
    if (ms < 0) return a.timeoutMs;
    return a.grpcTimeoutHeaderMaxMs > 0 ? Math.min(ms, a.grpcTimeoutHeaderMaxMs) : ms;
  }

  private sendAttempt(): void {
    if (this.done) return;
    const cluster = this.cluster;
    if (!cluster.limits.tryAcquireRequest()) {
      this.fail(503, 'upstream overflow', 'UO');
      return;
    }
    const ctx =
      this.attempted === null && this.hash === undefined
        ? EMPTY_CTX
        : { hash: this.hash, attemptedHosts: this.attempted ?? undefined };
    const host = cluster.chooseHost(ctx);
    if (host === null) {
      cluster.limits.releaseRequest();
      this.stats.noHealthy.inc();
      this.fail(503, 'no healthy upstream', 'UH');
      return;
    }
    this.attempt++;
    this.as.attempts = this.attempt;
    host.activeRequests++;
    this.host = host;
    this.attemptStartMs = performance.now();
    const perTry = this.retry.perTryTimeoutMs;
    if (perTry > 0) this.tryTimer = setTimeout(this.onPerTryTimeout.bind(this), perTry);
    this.pool = poolFor(host, cluster);
    this.pool.acquire(this, false);
  }

  onPoolReady(conn: UpstreamConnection): void {
    if (this.done || this.host === null) {
      conn.abort();
      return;
    }
    this.conn = conn;
    const d = this.as.downstream;
    const head = this.head.forAttempt(this.host.key, this.attempt);
    conn.send(this, head, d.hasBody ? d.contentLength : 0, this.as.method === 'HEAD', d.upgrade !== '');
    if (this.body !== null) {
      for (const chunk of this.body) conn.writeBody(chunk);
      if (!this.replayable) this.body = null;
    }
    if (this.bodyDone && d.hasBody) conn.endBody();
    d.resumeBody();
  }

  /** {@link BodyReader}: request body from downstream. */
  onData(chunk: Buffer): void {
    this.bodyBytes += chunk.length;
    this.idleTimer?.refresh();
    if (this.shadows !== null) for (const s of this.shadows) s.onData(chunk);
    const conn = this.conn;
    if (this.body !== null && (this.replayable || conn === null)) {
      this.body.push(chunk);
      if (this.bodyBytes > RETRY_BUFFER_BYTES) {
        this.replayable = false;
        if (conn === null) this.as.downstream.pauseBody();
      }
    }
    if (conn !== null) {
      if (!this.replayable) this.body = null;
      if (!conn.writeBody(chunk)) this.as.downstream.pauseBody();
    }
  }

  onEnd(): void {
    this.bodyDone = true;
    if (this.requestTimer !== null) {
      clearTimeout(this.requestTimer);
      this.requestTimer = null;
    }
    if (this.shadows !== null) for (const s of this.shadows) s.onEnd();
    this.conn?.endBody();
  }

  onUpstreamDrain(): void {
    this.as.downstream.resumeBody();
  }

  onResponseHead(status: number, headers: string[], contentLength: number, endStream: boolean): void {
    if (this.done) return;
    this.clearTryTimer();
    const grpc = grpcStatusOf(headers);
    const durationMs = performance.now() - this.attemptStartMs;
    if (retriableResponse(this.retry, status, grpc) && this.canRetry()) {
      this.cluster.reportOutcome(this.host!, responseOutcome(status), durationMs);
      this.stats.response(status, durationMs);
      if (endStream && this.bodyDone) this.discardEnd = true;
      else this.conn?.abort();
      this.conn = null;
      this.endAttempt();
      this.scheduleRetry();
      return;
    }
    this.responseStarted = true;
    const as = this.as;
    as.upstreamHost = this.host!.key;
    as.upstreamServiceTimeMs = Math.round(durationMs);
    if (this.weighted !== null) applyHeaderMutation(this.weighted.responseHeaders, headers);
    if (this.attempt > 1 && this.retriesLeft === 0 && status >= 500) as.addResponseFlag('URX');
    this.cluster.reportOutcome(this.host!, responseOutcome(status), durationMs);
    this.stats.response(status, durationMs);
    if (endStream) {
      if (!this.bodyDone) this.conn?.abort();
      this.discardEnd = this.bodyDone;
      this.endAttempt();
      this.cleanup();
    }
    as.encodeHeaders(status, headers, contentLength, endStream);
  }

  onResponseData(chunk: Buffer): void {
    if (this.done) return;
    this.idleTimer?.refresh();
    if (!this.as.encodeData(chunk)) this.conn?.pause();
  }

  onDownstreamDrain(): void {
    this.conn?.resume();
  }

  onResponseEnd(trailers: string[] | null): void {
    if (this.discardEnd) {
      this.discardEnd = false;
      return;
    }
    if (this.done) return;
    if (!this.bodyDone) this.conn?.abort();
    this.conn = null;
    this.endAttempt();
    this.cleanup();
    this.as.encodeEnd(trailers);
  }

  onUpgrade(socket: Socket, leftover: Buffer | null, headers: string[]): void {
    if (this.done) {
      socket.destroy();
      return;
    }
    this.responseStarted = true;
    this.as.upstreamHost = this.host!.key;
    this.cluster.reportOutcome(this.host!, responseOutcome(101), performance.now() - this.attemptStartMs);
    this.conn = null;
    this.endAttempt();
    this.cleanup();
    headers.push('connection', 'upgrade', 'upgrade', this.as.downstream.upgrade);
    this.as.startTunnel(headers, socket, leftover);
  }

  onUpstreamFailure(kind: UpstreamFailure, safeToRetry: boolean): void {
    if (this.done) return;
    this.conn = null;
    if (kind === 'overflow') {
      this.clearTryTimer();
      this.endAttempt();
      this.fail(503, 'upstream overflow', 'UO');
      return;
    }
    if (
      safeToRetry &&
      !this.responseStarted &&
      this.freshRetries < MAX_FRESH_CONNECTION_RETRIES &&
      this.pool !== null
    ) {
      this.freshRetries++;
      this.pool.acquire(this, true);
      return;
    }
    this.clearTryTimer();
    const connectFailure = kind === 'connect-failure' || kind === 'connect-timeout';
    if (connectFailure) this.stats.connectFail.inc();
    this.cluster.reportOutcome(
      this.host!,
      connectFailure ? OUTCOME_CONNECT_FAILURE : OUTCOME_RESET,
      performance.now() - this.attemptStartMs,
    );
    this.endAttempt();
    if (this.responseStarted) {
      this.as.addResponseFlag('UR');
      this.cleanup();
      this.as.resetDownstream();
      return;
    }
    const failure: AttemptFailure = connectFailure ? 'connect-failure' : 'reset';
    if (kind !== 'protocol' && retriableFailure(this.retry, failure) && this.canRetry()) {
      this.scheduleRetry();
      return;
    }
    if (this.attempt > 1) this.as.addResponseFlag('URX');
    if (kind === 'protocol') this.fail(502, 'upstream protocol error', 'UPE');
    else if (connectFailure)
      this.fail(
        503,
        'upstream connect error or disconnect/reset before headers. reset reason: connection failure',
        'UF',
      );
    else
      this.fail(
        503,
        'upstream connect error or disconnect/reset before headers. reset reason: connection termination',
        'UC',
      );
  }

  /** {@link DownstreamWatcher}: the client went away; abandon the upstream side. */
  onDownstreamReset(): void {
    if (this.done) return;
    this.abortAttempt();
    this.cleanup();
  }

  private onPerTryTimeout(): void {
    this.tryTimer = null;
    if (this.done) return;
    this.stats.timeout.inc();
    this.cluster.reportOutcome(this.host!, OUTCOME_TIMEOUT, performance.now() - this.attemptStartMs);
    this.abortAttempt();
    if (retriableFailure(this.retry, 'timeout') && this.canRetry()) {
      this.scheduleRetry();
      return;
    }
    if (this.attempt > 1) this.as.addResponseFlag('URX');
    this.fail(504, 'upstream request timeout', 'UT');
  }

  private onGlobalTimeout(): void {
    this.globalTimer = null;
    if (this.done) return;
    this.stats.timeout.inc();
    if (this.host !== null)
      this.cluster.reportOutcome(this.host, OUTCOME_TIMEOUT, performance.now() - this.attemptStartMs);
    this.abortAttempt();
    if (this.responseStarted) {
      this.as.addResponseFlag('UT');
      this.cleanup();
      this.as.resetDownstream();
      return;
    }
    this.fail(504, 'upstream request timeout', 'UT');
  }

  /** Nothing moved in either direction for the idle timeout: 408 before the response, else reset. */
  private onIdleTimeout(): void {
    this.idleTimer = null;
    this.endWithTimeout('SI');
  }

  /** The request body did not arrive within `request_timeout`. */
  private onRequestTimeout(): void {
    this.requestTimer = null;
    this.endWithTimeout(null);
  }

  private endWithTimeout(flag: 'SI' | null): void {
    if (this.done) return;
    this.abortAttempt();
    if (this.responseStarted) {
      if (flag !== null) this.as.addResponseFlag(flag);
      this.cleanup();
      this.as.resetDownstream();
      return;
    }
    this.cleanup();
    this.as.sendLocalReply(408, flag === null ? 'request timeout' : 'stream timeout', flag);
  }

  private canRetry(): boolean {
    if (this.retriesLeft <= 0 || this.responseStarted || (!this.replayable && this.as.downstream.hasBody))
      return false;
    // One retry slot (max_retries / retry budget) per request, held until the request ends.
    if (this.holdingRetry) return true;
    if (!this.cluster.limits.tryAcquireRetry()) {
      return false;
    }
    this.holdingRetry = true;
    return true;
  }

  private scheduleRetry(): void {
    this.retriesLeft--;
    this.stats.retry.inc();
    const delay = backoffMs(this.retry, this.retry.numRetries - this.retriesLeft);
    this.backoffTimer = setTimeout(this.retryNow.bind(this), delay);
  }

  private retryNow(): void {
    this.backoffTimer = null;
    this.sendAttempt();
  }

  /** Stops the current attempt wherever it is (waiting for a connection, or on one). */
  private abortAttempt(): void {
    this.clearTryTimer();
    if (this.conn !== null) {
      this.conn.abort();
      this.conn = null;
    } else if (this.pool !== null && this.host !== null) {
      this.pool.cancel(this);
    }
    this.endAttempt();
  }

  private endAttempt(): void {
    const host = this.host;
    if (host === null) return;
    host.activeRequests--;
    this.cluster.limits.releaseRequest();
    if (this.attempted === null) this.attempted = [];
    this.attempted.push(host);
    this.host = null;
  }

  private clearTryTimer(): void {
    if (this.tryTimer !== null) {
      clearTimeout(this.tryTimer);
      this.tryTimer = null;
    }
  }

  private fail(status: number, body: string, flag: 'UO' | 'UH' | 'UF' | 'UC' | 'UT' | 'UPE'): void {
    this.cleanup();
    this.as.sendLocalReply(status, body, flag);
  }

  private cleanup(): void {
    if (this.done) return;
    this.done = true;
    this.clearTryTimer();
    if (this.globalTimer !== null) clearTimeout(this.globalTimer);
    if (this.backoffTimer !== null) clearTimeout(this.backoffTimer);
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    if (this.requestTimer !== null) clearTimeout(this.requestTimer);
    this.globalTimer = this.backoffTimer = this.idleTimer = this.requestTimer = null;
    if (this.holdingRetry) {
      this.holdingRetry = false;
      this.cluster.limits.releaseRetry();
    }
    this.body = null;
    this.as.watcher = null;
  }
}

function grpcStatusOf(headers: string[]): number {
  const i = indexOfHeader(headers, 'grpc-status');
  return i < 0 ? -1 : Number(headers[i + 1]);
}

/** `grpc-timeout` (e.g. `100m`, `5S`) in milliseconds, -1 when malformed. */
export function parseGrpcTimeout(v: string): number {
  const m = /^(\d{1,8})([HMSmun])$/.exec(v);
  if (m === null) return -1;
  const n = Number(m[1]);
  const unit: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 0.001, n: 0.000001 };
  return Math.ceil(n * unit[m[2]]);
}
