/**
 * The router's per-request state machine: sends attempts ({@link UpstreamAttempt}) to hosts the
 * cluster picks, applies the route timeout, idle and request timeouts, the retry policy (full
 * jitter back-off, `num_retries`, the cluster's `max_retries` / retry budget), hedging on
 * per-try timeout, and forwards the winning response. Request bodies are kept (up to 1 MiB) so
 * retries and hedged attempts can replay them.
 */
import type { Socket } from 'node:net';
import type { ActiveStream, DownstreamWatcher } from '../http/active-stream.js';
import { poolFor } from '../http/pools.js';
import type { BodyReader } from '../http/stream.js';
import type { UpstreamConnection, UpstreamFailure } from '../http/upstream-callbacks.js';
import type { ClusterStats } from '../stats/stats.js';
import type { Cluster, Host, LbContext, UpstreamOutcome } from '../upstream/types.js';
import { computeHash, generatedCookie } from './hash-policy.js';
import { applyHeaderMutation, indexOfHeader } from './header-mutation.js';
import { RequestBody } from './request-body.js';
import { buildUpstreamHead, type PreparedHead } from './request-builder.js';
import { parseGrpcTimeout, RequestTimers } from './request-timers.js';
import {
  type AttemptFailure,
  backoffMs,
  type RetryPolicy,
  retriableFailure,
  retriableResponse,
} from './retry-policy.js';
import type { RouteAction, WeightedCluster } from './route-action.js';
import { type AttemptOwner, responseOutcome, UpstreamAttempt } from './upstream-attempt.js';

const EMPTY_CTX: LbContext = {};
const OUTCOME_CONNECT_FAILURE: UpstreamOutcome = { kind: 'connect-failure' };
const OUTCOME_RESET: UpstreamOutcome = { kind: 'reset' };
const OUTCOME_TIMEOUT: UpstreamOutcome = { kind: 'timeout' };

type LocalFlag = 'UO' | 'UH' | 'UF' | 'UC' | 'UT' | 'UPE' | 'SI';

/** One routed request towards a cluster. */
export class UpstreamRequest implements AttemptOwner, BodyReader, DownstreamWatcher {
  private readonly retry: RetryPolicy;
  private readonly head: PreparedHead;
  private readonly hash: number | undefined;
  /** `set-cookie` for a hash cookie the proxy generated (cookie `ttl`), else undefined. */
  private readonly setCookie: string | undefined;
  private readonly timers: RequestTimers;
  /** Attempts in flight: one, or more while hedging. */
  private attempts: UpstreamAttempt[] = [];
  private winner: UpstreamAttempt | null = null;
  private attempted: Host[] | null = null;
  private readonly body: RequestBody;
  private retriesLeft: number;
  private attemptCount = 0;
  private holdingRetry = false;
  private done = false;
  private backoffTimer: NodeJS.Timeout | null = null;
  /** Mirrors that receive a copy of the request body. */
  private shadows: BodyReader[] | null = null;

  constructor(
    private readonly as: ActiveStream,
    private readonly action: RouteAction,
    private readonly cluster: Cluster,
    private readonly stats: ClusterStats,
    private readonly weighted: WeightedCluster | null,
    private readonly suppressEnvoyHeaders = false,
  ) {
    this.retry = action.retry.retryOn === 0 && as.vhost!.retry !== null ? as.vhost!.retry : action.retry;
    this.retriesLeft = this.retry.numRetries;
    this.body = new RequestBody(as.downstream.hasBody);
    this.head = buildUpstreamHead(as, action, weighted);
    this.hash = action.hashPolicy.length > 0 ? computeHash(action.hashPolicy, as) : undefined;
    this.setCookie = action.hashPolicy.length > 0 ? generatedCookie(action.hashPolicy, as) : undefined;
    this.timers = new RequestTimers(this);
    if (!suppressEnvoyHeaders) {
      // Envoy tells the upstream how long it will wait, so the service can give up in time too.
      const expected = this.retry.perTryTimeoutMs > 0 ? this.retry.perTryTimeoutMs : this.routeTimeoutMs();
      if (expected > 0) this.head.headers.push('x-envoy-expected-rq-timeout-ms', String(expected));
    }
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
    const d = as.downstream;
    const hcm = as.hcm.config;
    if (d.upgrade === '') {
      this.timers.startRoute(this.routeTimeoutMs());
      this.timers.startIdle(
        this.action.idleTimeoutMs > 0 ? this.action.idleTimeoutMs : hcm.streamIdleTimeoutMs,
      );
    }
    if (d.hasBody) {
      this.timers.startRequest(hcm.requestTimeoutMs);
      d.readBody(this);
    }
    this.sendAttempt();
  }

  private routeTimeoutMs(): number {
    const a = this.action;
    if (!a.honourGrpcTimeout) return a.timeoutMs;
    const i = indexOfHeader(this.as.requestHeaders, 'grpc-timeout');
    const ms = i < 0 ? -1 : parseGrpcTimeout(this.as.requestHeaders[i + 1]);
    if (ms < 0) return a.timeoutMs;
    return a.grpcTimeoutHeaderMaxMs > 0 ? Math.min(ms, a.grpcTimeoutHeaderMaxMs) : ms;
  }

  private sendAttempt(): void {
    if (this.done) return;
    const cluster = this.cluster;
    if (!cluster.limits.tryAcquireRequest()) {
      this.finishAttemptless(503, 'upstream overflow', 'UO');
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
      this.finishAttemptless(503, 'no healthy upstream', 'UH');
      return;
    }
    const a = new UpstreamAttempt(this, cluster, host, poolFor(host, cluster), ++this.attemptCount);
    this.as.attempts = this.attemptCount;
    this.attempts.push(a);
    (this.attempted ??= []).push(host);
    a.start(this.retry.perTryTimeoutMs);
  }

  private finishAttemptless(status: number, body: string, flag: LocalFlag): void {
    if (this.attempts.length > 0) return; // a hedged attempt is still running; let it answer
    this.fail(status, body, flag);
  }

  attemptReady(a: UpstreamAttempt, conn: UpstreamConnection): void {
    const d = this.as.downstream;
    conn.send(
      a,
      this.head.forAttempt(a.host.key, a.number),
      d.hasBody ? d.contentLength : 0,
      this.as.method === 'HEAD',
      d.upgrade !== '',
    );
    this.body.replayTo(conn);
    d.resumeBody();
  }

  /** {@link BodyReader}: request body from downstream, written to every live attempt. */
  onData(chunk: Buffer): void {
    this.timers.touch();
    if (this.shadows !== null) for (const s of this.shadows) s.onData(chunk);
    let written = false;
    let pressure = false;
    for (const a of this.attempts) {
      if (a.conn === null) continue;
      written = true;
      if (!a.conn.writeBody(chunk)) pressure = true;
    }
    if (this.body.add(chunk, written) || pressure) this.as.downstream.pauseBody();
  }

  onEnd(): void {
    this.body.done = true;
    this.timers.requestDone();
    if (this.shadows !== null) for (const s of this.shadows) s.onEnd();
    for (const a of this.attempts) a.conn?.endBody();
  }

  canResend(): boolean {
    return this.body.resendable;
  }

  upstreamDrained(): void {
    this.as.downstream.resumeBody();
  }

  attemptHead(
    a: UpstreamAttempt,
    status: number,
    headers: string[],
    contentLength: number,
    endStream: boolean,
  ): void {
    if (this.done) return;
    const grpc = grpcStatusOf(headers);
    a.report(responseOutcome(status));
    this.stats.response(status, a.elapsedMs);
    // A retried response that already ended leaves its connection clean for the pool.
    if (
      retriableResponse(this.retry, status, grpc) &&
      this.otherAttemptsOrRetry(a, endStream && this.body.done)
    )
      return;
    // This attempt's response is the request's response; any hedged siblings are cancelled.
    this.winner = a;
    a.won = true;
    for (const other of this.attempts) if (other !== a) other.abort();
    this.attempts = [a];
    const as = this.as;
    as.upstreamHost = a.host.key;
    as.upstreamServiceTimeMs = Math.round(a.elapsedMs);
    if (!this.suppressEnvoyHeaders)
      headers.push('x-envoy-upstream-service-time', String(as.upstreamServiceTimeMs));
    if (this.weighted !== null) applyHeaderMutation(this.weighted.responseHeaders, headers);
    if (this.setCookie !== undefined) headers.push('set-cookie', this.setCookie);
    if (this.attemptCount > 1 && this.retriesLeft === 0 && status >= 500) as.addResponseFlag('URX');
    if (endStream) {
      if (this.body.done) a.release();
      else a.abort();
      this.cleanup();
    }
    as.encodeHeaders(status, headers, contentLength, endStream);
  }

  /**
   * A retriable response or failure on `a`: drop `a`; if a hedged sibling is still running, wait
   * for it; else retry when allowed. False when the caller must treat it as final.
   */
  private otherAttemptsOrRetry(a: UpstreamAttempt, connectionClean = false): boolean {
    const others = this.attempts.filter((x) => x !== a);
    if (others.length === 0 && !this.canRetry()) return false;
    if (connectionClean) a.release();
    else a.abort();
    this.attempts = others;
    if (others.length === 0) this.scheduleRetry();
    return true;
  }

  attemptData(_a: UpstreamAttempt, chunk: Buffer): void {
    if (this.done) return;
    this.timers.touch();
    if (!this.as.encodeData(chunk)) this.winner?.conn?.pause();
  }

  onDownstreamDrain(): void {
    this.winner?.conn?.resume();
  }

  attemptEnd(a: UpstreamAttempt, trailers: string[] | null): void {
    if (this.done) return;
    if (this.body.done) a.release();
    else a.abort();
    this.cleanup();
    this.as.encodeEnd(trailers);
  }

  attemptUpgraded(a: UpstreamAttempt, socket: Socket, leftover: Buffer | null, headers: string[]): void {
    if (this.done) {
      socket.destroy();
      return;
    }
    this.as.upstreamHost = a.host.key;
    a.report(responseOutcome(101));
    a.release();
    this.cleanup();
    headers.push('connection', 'upgrade', 'upgrade', this.as.downstream.upgrade);
    this.as.startTunnel(headers, socket, leftover);
  }

  attemptFailed(a: UpstreamAttempt, kind: UpstreamFailure): void {
    if (this.done) return;
    if (kind === 'overflow') {
      a.release();
      this.attempts = this.attempts.filter((x) => x !== a);
      this.finishAttemptless(503, 'upstream overflow', 'UO');
      return;
    }
    const connectFailure = kind === 'connect-failure' || kind === 'connect-timeout';
    if (connectFailure) this.stats.connectFail.inc();
    a.report(connectFailure ? OUTCOME_CONNECT_FAILURE : OUTCOME_RESET);
    if (a.won) {
      a.release();
      this.as.addResponseFlag('UR');
      this.cleanup();
      this.as.resetDownstream();
      return;
    }
    const failure: AttemptFailure = connectFailure
      ? 'connect-failure'
      : kind === 'refused-stream'
        ? 'refused'
        : 'reset';
    if (kind !== 'protocol' && retriableFailure(this.retry, failure) && this.otherAttemptsOrRetry(a)) return;
    a.release();
    this.attempts = this.attempts.filter((x) => x !== a);
    if (this.attempts.length > 0) return;
    if (this.attemptCount > 1) this.as.addResponseFlag('URX');
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

  attemptPerTryTimeout(a: UpstreamAttempt): void {
    if (this.done) return;
    this.stats.timeout.inc();
    a.report(OUTCOME_TIMEOUT);
    if (this.action.hedgeOnPerTryTimeout && this.body.resendable && this.canRetry()) {
      // Hedge: keep the slow attempt and race a new one against it; the first response wins.
      this.retriesLeft--;
      this.stats.retry.inc();
      this.sendAttempt();
      return;
    }
    if (retriableFailure(this.retry, 'timeout') && this.otherAttemptsOrRetry(a)) return;
    a.abort();
    this.attempts = this.attempts.filter((x) => x !== a);
    if (this.attempts.length > 0) return;
    if (this.attemptCount > 1) this.as.addResponseFlag('URX');
    this.fail(504, 'upstream request timeout', 'UT');
  }

  /** {@link DownstreamWatcher}: the client went away; abandon the upstream side. */
  onDownstreamReset(): void {
    if (this.done) return;
    this.abortAll();
    this.cleanup();
  }

  /** Route timeout: 504 before the response, a reset after it started. */
  onRouteTimeout(): void {
    if (this.done) return;
    this.stats.timeout.inc();
    for (const a of this.attempts) a.report(OUTCOME_TIMEOUT);
    this.endWithTimeout(504, 'upstream request timeout', 'UT');
  }

  /** Stream idle or request timeout: 408 before the response, a reset after it started. */
  onIdleOrRequestTimeout(idle: boolean): void {
    this.endWithTimeout(408, idle ? 'stream timeout' : 'request timeout', idle ? 'SI' : null);
  }

  private endWithTimeout(status: number, body: string, flag: LocalFlag | null): void {
    if (this.done) return;
    this.abortAll();
    if (this.winner !== null) {
      if (flag !== null) this.as.addResponseFlag(flag);
      this.cleanup();
      this.as.resetDownstream();
      return;
    }
    this.cleanup();
    this.as.sendLocalReply(status, body, flag);
  }

  private canRetry(): boolean {
    if (this.retriesLeft <= 0 || this.winner !== null || !this.body.resendable) return false;
    // One retry slot (max_retries / retry budget) per request, held until the request ends.
    if (this.holdingRetry) return true;
    if (!this.cluster.limits.tryAcquireRetry()) return false;
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

  private abortAll(): void {
    for (const a of this.attempts) a.abort();
    this.attempts = [];
  }

  private fail(status: number, body: string, flag: LocalFlag): void {
    this.cleanup();
    this.as.sendLocalReply(status, body, flag);
  }

  private cleanup(): void {
    if (this.done) return;
    this.done = true;
    this.timers.clear();
    if (this.backoffTimer !== null) clearTimeout(this.backoffTimer);
    this.backoffTimer = null;
    if (this.holdingRetry) {
      this.holdingRetry = false;
      this.cluster.limits.releaseRetry();
    }
    this.body.release();
    this.as.watcher = null;
  }
}

function grpcStatusOf(headers: string[]): number {
  const i = indexOfHeader(headers, 'grpc-status');
  return i < 0 ? -1 : Number(headers[i + 1]);
}
