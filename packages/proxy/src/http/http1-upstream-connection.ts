/**
 * A raw-socket HTTP/1.1 client connection to one upstream host, owned by an {@link Http1Pool}.
 * It writes request heads the router built, frames the request body, parses the response head
 * strictly (same rules as downstream) and frames the response body (Content-Length, chunked or
 * read-until-close), then returns itself to the pool when the exchange leaves it reusable.
 */
import { connect, type Socket } from 'node:net';
import { connectUpstreamTls, type UpstreamTlsConfig } from '../tls/upstream-tls-context.js';
import { CHUNKED_ERROR, ChunkedDecoder, type ChunkSink } from './chunked-decoder.js';
import { parseResponseHead, ResponseHead } from './head-parser.js';
import { reportInternalError } from './http1-server-connection.js';
import type {
  OutboundHead,
  UpstreamCallbacks,
  UpstreamConnection,
  UpstreamFailure,
} from './upstream-callbacks.js';

const CRLFCRLF = Buffer.from('\r\n\r\n');
const CRLF = Buffer.from('\r\n');
const LAST_CHUNK = Buffer.from('0\r\n\r\n');
const MAX_RESPONSE_HEAD_BYTES = 65536;

const R_HEAD = 0;
const R_LENGTH = 1;
const R_CHUNKED = 2;
const R_UNTIL_CLOSE = 3;
const R_IDLE = 4;

/** What the connection needs from its pool. */
export interface PoolOwner {
  release(conn: Http1UpstreamConnection): void;
  remove(conn: Http1UpstreamConnection): void;
  connected(conn: Http1UpstreamConnection): void;
  failedToConnect(conn: Http1UpstreamConnection, kind: UpstreamFailure): void;
}

/** One keep-alive HTTP/1.1 connection to an upstream host. */
export class Http1UpstreamConnection implements UpstreamConnection, ChunkSink {
  readonly socket: Socket;
  cb: UpstreamCallbacks | null = null;
  /** Exchanges completed on this connection (> 0 means a reused keep-alive connection). */
  served = 0;
  isConnected = false;
  private pending: Buffer | null = null;
  private readonly head = new ResponseHead();
  private rstate = R_IDLE;
  private remaining = 0;
  private readonly chunked = new ChunkedDecoder();
  private gotResponseBytes = false;
  private headRequest = false;
  private upgradeRequest = false;
  private chunkedBody = false;
  private requestDone = false;
  private responseDone = false;
  private keepAlive = true;
  private dead = false;
  private connectTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly pool: PoolOwner,
    address: string,
    port: number,
    connectTimeoutMs: number,
    tls?: UpstreamTlsConfig,
    /** Cluster `max_requests_per_connection` (Infinity: no limit). */
    private readonly maxRequests = Number.POSITIVE_INFINITY,
  ) {
    const socket =
      tls === undefined
        ? connect({ host: address, port, noDelay: true })
        : connectUpstreamTls(tls, address, port, 'http/1.1').setNoDelay(true);
    this.socket = socket;
    // A TLS connection is usable once the handshake (and certificate checks) passed.
    socket.on(tls === undefined ? 'connect' : 'secureConnect', this.onConnect.bind(this));
    socket.on('data', this.onDataGuarded.bind(this));
    socket.on('close', this.onClose.bind(this));
    socket.on('error', noop);
    socket.on('drain', this.onDrain.bind(this));
    // Armed only while idle in the pool; one listener for the connection's life, not one per reuse.
    socket.on('timeout', this.destroy.bind(this));
    if (connectTimeoutMs > 0)
      this.connectTimer = setTimeout(this.onConnectTimeout.bind(this), connectTimeoutMs);
  }

  send(
    cb: UpstreamCallbacks,
    head: OutboundHead,
    bodyLength: number,
    headRequest: boolean,
    upgrade: boolean,
  ): void {
    this.cb = cb;
    this.gotResponseBytes = false;
    this.headRequest = headRequest;
    this.upgradeRequest = upgrade;
    this.chunkedBody = bodyLength < 0;
    this.requestDone = bodyLength === 0;
    this.responseDone = false;
    this.keepAlive = true;
    this.rstate = R_HEAD;
    this.socket.write(head.http1Head(), 'latin1');
  }

  writeBody(chunk: Buffer): boolean {
    if (this.dead) return true;
    if (!this.chunkedBody) return this.socket.write(chunk);
    const s = this.socket;
    s.cork();
    s.write(chunk.length.toString(16) + '\r\n', 'latin1');
    s.write(chunk);
    const ok = s.write(CRLF);
    s.uncork();
    return ok;
  }

  endBody(): void {
    if (this.dead) return;
    if (this.chunkedBody) this.socket.write(LAST_CHUNK);
    this.requestDone = true;
    if (this.responseDone) this.finishExchange();
  }

  abort(): void {
    this.cb = null;
    this.destroy();
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  private onConnect(): void {
    this.clearConnectTimer();
    this.isConnected = true;
    this.pool.connected(this);
  }

  private onConnectTimeout(): void {
    this.connectTimer = null;
    if (this.isConnected) return;
    this.dead = true;
    this.socket.destroy();
    this.pool.failedToConnect(this, 'connect-timeout');
  }

  private clearConnectTimer(): void {
    if (this.connectTimer !== null) {
      clearTimeout(this.connectTimer);
      this.connectTimer = null;
    }
  }

  /** As downstream: an exception ends this exchange (502/reset for its request), not the process. */
  private onDataGuarded(chunk: Buffer): void {
    try {
      this.onData(chunk);
    } catch (err) {
      reportInternalError('upstream connection', err);
      try {
        this.fail('protocol');
      } catch {
        this.destroy();
      }
    }
  }

  private onData(chunk: Buffer): void {
    if (this.cb === null) {
      // Bytes while idle: the upstream is not speaking HTTP/1.1 as we know it; never reuse.
      this.destroy();
      return;
    }
    this.gotResponseBytes = true;
    if (this.rstate !== R_HEAD && this.pending === null) {
      const used = this.consumeBody(chunk, 0);
      if (used < 0 || used === chunk.length) return;
      chunk = chunk.subarray(used);
    }
    this.pending = this.pending === null ? chunk : Buffer.concat([this.pending, chunk]);
    while (this.pending !== null && this.rstate === R_HEAD && this.cb !== null) {
      if (!this.parseHead()) return;
    }
    if (this.pending !== null && this.rstate === R_IDLE) this.destroy();
  }

  private parseHead(): boolean {
    const buf = this.pending!;
    const end = buf.indexOf(CRLFCRLF);
    if (end < 0) {
      if (buf.length > MAX_RESPONSE_HEAD_BYTES) this.fail('protocol');
      return false;
    }
    const h = this.head;
    if (parseResponseHead(buf.toString('latin1', 0, end + 4), h) !== null) {
      this.fail('protocol');
      return false;
    }
    this.pending = end + 4 === buf.length ? null : buf.subarray(end + 4);
    if (h.status === 101 && this.upgradeRequest) return this.upgrade(h.headers);
    if (h.status < 200) return true; // 100 Continue and other interim responses are not forwarded
    this.keepAlive = h.versionMinor === 1 ? !h.connectionClose : h.connectionKeepAlive;
    const noBody = this.headRequest || h.status === 204 || h.status === 304;
    if (noBody || (!h.chunked && h.contentLength === 0)) {
      this.cb!.onResponseHead(h.status, h.headers, noBody ? h.contentLength : 0, true);
      this.responseComplete();
      return true;
    }
    if (h.chunked) {
      this.rstate = R_CHUNKED;
      this.chunked.reset();
    } else if (h.contentLength > 0) {
      this.rstate = R_LENGTH;
      this.remaining = h.contentLength;
    } else {
      this.rstate = R_UNTIL_CLOSE;
      this.keepAlive = false;
    }
    this.cb!.onResponseHead(h.status, h.headers, h.chunked ? -1 : h.contentLength, false);
    const rest = this.pending;
    if (rest !== null && this.cb !== null) {
      this.pending = null;
      const used = this.consumeBody(rest, 0);
      if (used >= 0 && used < rest.length) this.pending = rest.subarray(used);
    }
    return true;
  }

  private upgrade(headers: string[]): boolean {
    const cb = this.cb!;
    const leftover = this.pending;
    this.pending = null;
    this.cb = null;
    this.dead = true;
    this.socket.removeAllListeners('data');
    this.socket.removeAllListeners('drain');
    this.pool.remove(this);
    cb.onUpgrade(this.socket, leftover, headers);
    return false;
  }

  private consumeBody(buf: Buffer, start: number): number {
    const cb = this.cb!;
    if (this.rstate === R_LENGTH) {
      const take = Math.min(this.remaining, buf.length - start);
      this.remaining -= take;
      cb.onResponseData(take === buf.length ? buf : buf.subarray(start, start + take));
      if (this.remaining === 0) this.responseComplete();
      return start + take;
    }
    if (this.rstate === R_UNTIL_CLOSE) {
      cb.onResponseData(start === 0 ? buf : buf.subarray(start));
      return buf.length;
    }
    const used = this.chunked.feed(buf, start, this);
    if (used === CHUNKED_ERROR) {
      this.fail('protocol');
      return -1;
    }
    if (this.chunked.done) this.responseComplete(this.chunked.trailers);
    return used;
  }

  /** {@link ChunkSink}: decoded response chunk. */
  onChunk(data: Buffer): void {
    if (data.length > 0 && this.cb !== null) this.cb.onResponseData(data);
  }

  private responseComplete(trailers: string[] | null = null): void {
    this.rstate = R_IDLE;
    this.responseDone = true;
    const cb = this.cb;
    if (this.requestDone) this.finishExchange();
    cb?.onResponseEnd(trailers);
  }

  private finishExchange(): void {
    this.cb = null;
    this.served++;
    if (!this.keepAlive || this.pending !== null || this.dead || this.served >= this.maxRequests) {
      this.destroy();
      return;
    }
    this.pool.release(this);
  }

  private fail(kind: UpstreamFailure): void {
    const cb = this.cb;
    const safe = this.served > 0 && !this.gotResponseBytes;
    this.cb = null;
    this.destroy();
    cb?.onUpstreamFailure(kind, safe);
  }

  private onClose(): void {
    this.clearConnectTimer();
    const wasDead = this.dead;
    this.dead = true;
    this.pool.remove(this);
    if (!this.isConnected && !wasDead) {
      this.pool.failedToConnect(this, 'connect-failure');
      return;
    }
    const cb = this.cb;
    if (cb === null) return;
    this.cb = null;
    if (this.rstate === R_UNTIL_CLOSE) {
      this.rstate = R_IDLE;
      cb.onResponseEnd(null);
      return;
    }
    cb.onUpstreamFailure('reset', this.served > 0 && !this.gotResponseBytes);
  }

  private onDrain(): void {
    this.cb?.onUpstreamDrain();
  }

  /** Closes the socket; an idle connection closing is normal pool churn. */
  destroy(): void {
    if (!this.dead) {
      this.dead = true;
      this.pool.remove(this);
    }
    this.socket.destroy();
  }
}

function noop(): void {}
