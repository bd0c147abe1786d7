/**
 * The downstream HTTP/1.1 codec on a raw `net.Socket`: finds and parses request heads, frames
 * request bodies (Content-Length or chunked, validated as they stream), answers protocol errors
 * itself (400/413/431, never forwarded), and hands each request to the connection manager one
 * at a time, in order, so pipelined requests are safe. Parser state lives on the connection;
 * nothing is allocated per byte and body bytes are forwarded as slices of the socket reads.
 */
import type { Socket } from 'node:net';
import { CHUNKED_ERROR, ChunkedDecoder, type ChunkSink } from './chunked-decoder.js';
import { parseRequestHead, RequestHead } from './head-parser.js';
import { Http1ServerStream, type Http1StreamOwner } from './http1-server-stream.js';
import { statusLine } from './status-lines.js';

/** Limits of one downstream connection (Envoy HCM names in brackets). */
export interface Http1ServerLimits {
  /** [max_request_headers_kb] Head size above which the request gets a 431. */
  maxHeaderBytes: number;
  /** Request body size above which the request gets a 413. */
  maxBodyBytes: number;
  /** [common_http_protocol_options.idle_timeout] Close a connection idle this long; 0 disables. */
  idleTimeoutMs: number;
  /** [max_requests_per_connection] 0 = unlimited. */
  maxRequestsPerConnection: number;
  /** [request_headers_timeout] A started request head must be complete within this (slowloris); 0 disables. */
  requestHeadersTimeoutMs: number;
}

/** Where parsed requests go (the HTTP connection manager). */
export interface RequestHandler {
  onRequest(stream: Http1ServerStream): void;
  /** A request the codec rejected itself (for the access log and stats). */
  onCodecError(status: number, reason: string, remoteAddress: string): void;
}

const CRLFCRLF = Buffer.from('\r\n\r\n');
const BODY_NONE = 0;
const BODY_LENGTH = 1;
const BODY_CHUNKED = 2;

/** One downstream HTTP/1.1 connection. */
export class Http1ServerConnection implements Http1StreamOwner, ChunkSink {
  private pending: Buffer | null = null;
  private readonly head = new RequestHead();
  private stream: Http1ServerStream | null = null;
  private bodyMode = BODY_NONE;
  private bodyRemaining = 0;
  private readonly chunked = new ChunkedDecoder();
  private processing = false;
  private readEnded = false;
  private closing = false;
  private requests = 0;
  private pausedByStream = false;
  private readonly remoteAddress: string;
  private headTimer: NodeJS.Timeout | null = null;
  /** Set by the listener when draining: finish the current response, then close. */
  draining = false;
  readonly uncork: () => void;

  constructor(
    readonly socket: Socket,
    private readonly handler: RequestHandler,
    private readonly limits: Http1ServerLimits,
    private readonly tls: boolean,
  ) {
    this.remoteAddress = socket.remoteAddress ?? '';
    this.uncork = () => {
      if (socket.writableCorked > 0) socket.uncork();
    };
    socket.setNoDelay(true);
    socket.on('data', this.onDataGuarded.bind(this));
    socket.on('end', this.onEnd.bind(this));
    socket.on('close', this.onClose.bind(this));
    socket.on('error', noop);
    if (limits.idleTimeoutMs > 0) {
      socket.setTimeout(limits.idleTimeoutMs, this.onIdle.bind(this));
    }
  }

  /** True when no request is in progress (safe to close during drain). */
  get idle(): boolean {
    return this.stream === null;
  }

  /** Closes the connection now if idle, otherwise after the current response. */
  drain(): void {
    this.draining = true;
    if (this.stream === null) this.socket.end();
  }

  /**
   * A bug anywhere below (codec, filters, router) must cost this connection only, never the
   * process: the exception ends the connection and its request (Envoy's policy for untrusted
   * traffic). try/catch costs nothing on the path that does not throw.
   */
  private onDataGuarded(chunk: Buffer): void {
    try {
      this.onData(chunk);
    } catch (err) {
      reportInternalError('downstream connection', err);
      const s = this.stream;
      this.stream = null;
      this.closing = true;
      this.socket.destroy();
      try {
        s?.callbacks?.onDownstreamReset();
      } catch {
        // Already reported; the connection is gone either way.
      }
    }
  }

  private onData(chunk: Buffer): void {
    if (this.closing) return;
    if (this.stream !== null && this.bodyMode !== BODY_NONE && this.pending === null) {
      const used = this.consumeBody(chunk, 0);
      if (used < 0 || used === chunk.length) return;
      chunk = chunk.subarray(used);
    }
    this.pending = this.pending === null ? chunk : Buffer.concat([this.pending, chunk]);
    // Pipelined requests wait their turn; stop reading rather than buffer a flood.
    if (this.stream !== null && this.pending.length > 65536) this.pauseReading();
    this.process();
  }

  private process(): void {
    if (this.processing) return;
    this.processing = true;
    try {
      while (this.pending !== null && this.stream === null && !this.closing) {
        if (!this.parseNext()) break;
      }
      if (this.stream === null && this.readEnded && !this.closing) this.socket.end();
    } finally {
      this.processing = false;
    }
  }

  /** Parses one request head from `pending`; false when more bytes are needed or the connection ended. */
  private parseNext(): boolean {
    const buf = this.pending!;
    const end = buf.indexOf(CRLFCRLF);
    if (end < 0) {
      if (buf.length > this.limits.maxHeaderBytes) this.reject(431, 'request headers too large');
      else if (hasBareLf(buf)) this.reject(400, 'bare LF in request head');
      else if (this.headTimer === null && this.limits.requestHeadersTimeoutMs > 0) {
        this.headTimer = setTimeout(onHeadTimeout, this.limits.requestHeadersTimeoutMs, this);
      }
      return false;
    }
    if (this.headTimer !== null) {
      clearTimeout(this.headTimer);
      this.headTimer = null;
    }
    if (end + 4 > this.limits.maxHeaderBytes) {
      this.reject(431, 'request headers too large');
      return false;
    }
    const head = this.head;
    const err = parseRequestHead(buf.toString('latin1', 0, end + 4), head);
    if (err !== null) {
      this.reject(400, err);
      return false;
    }
    const rest = end + 4 === buf.length ? null : buf.subarray(end + 4);
    this.pending = rest;
    return this.startStream(head);
  }

  private startStream(head: RequestHead): boolean {
    let target = head.target;
    let authority = head.host ?? '';
    if (target.charCodeAt(0) !== 0x2f) {
      // absolute-form (HTTP proxy use) names the authority itself; asterisk/authority-form are not proxied.
      const abs = /^https?:\/\/([^/?#]+)([^#]*)$/i.exec(target);
      if (abs === null) {
        this.reject(400, 'unsupported request target form');
        return false;
      }
      authority = abs[1];
      target = abs[2] === '' ? '/' : abs[2];
    }
    const isUpgrade = head.connectionUpgrade && head.upgrade !== '';
    const hasBody = !isUpgrade && (head.chunked || head.contentLength > 0);
    if (head.contentLength > this.limits.maxBodyBytes) {
      this.reject(413, 'request body too large');
      return false;
    }
    const s = new Http1ServerStream(
      this,
      head.method,
      target,
      authority,
      head.headers,
      hasBody,
      head.chunked ? -1 : Math.max(head.contentLength, 0),
      isUpgrade ? head.upgrade : '',
      this.remoteAddress,
      head.versionMinor,
      this.tls,
    );
    s.expectContinue = head.expectContinue && head.versionMinor === 1;
    s.keepAliveRequested = head.connectionKeepAlive;
    s.closeRequested = head.connectionClose;
    s.trailersAccepted = head.teTrailers && head.versionMinor === 1;
    this.stream = s;
    this.requests++;
    this.bodyMode = !hasBody ? BODY_NONE : head.chunked ? BODY_CHUNKED : BODY_LENGTH;
    this.bodyRemaining = head.contentLength;
    if (head.chunked) this.chunked.reset();
    this.handler.onRequest(s);
    if (this.bodyMode !== BODY_NONE && this.pending !== null && this.stream === s) {
      const buf = this.pending;
      this.pending = null;
      const used = this.consumeBody(buf, 0);
      if (used >= 0 && used < buf.length) this.pending = buf.subarray(used);
    }
    return true;
  }

  /** Feeds request body bytes from `buf[start..]`; returns bytes used, or -1 after an error. */
  private consumeBody(buf: Buffer, start: number): number {
    const s = this.stream!;
    if (this.bodyMode === BODY_LENGTH) {
      const take = Math.min(this.bodyRemaining, buf.length - start);
      this.bodyRemaining -= take;
      s.deliverBody(take === buf.length ? buf : buf.subarray(start, start + take));
      if (this.bodyRemaining === 0) this.finishBody(s);
      return start + take;
    }
    const used = this.chunked.feed(buf, start, this);
    if (used === CHUNKED_ERROR) {
      this.bodyError(s, 400, 'invalid chunked encoding');
      return -1;
    }
    if (this.chunked.bodyBytes > this.limits.maxBodyBytes) {
      this.bodyError(s, 413, 'request body too large');
      return -1;
    }
    if (this.chunked.done) this.finishBody(s);
    return used;
  }

  /** {@link ChunkSink}: decoded chunk payload. */
  onChunk(data: Buffer): void {
    if (data.length > 0) this.stream!.deliverBody(data);
  }

  private finishBody(s: Http1ServerStream): void {
    this.bodyMode = BODY_NONE;
    s.deliverEnd();
  }

  private bodyError(s: Http1ServerStream, status: number, reason: string): void {
    this.bodyMode = BODY_NONE;
    this.handler.onCodecError(status, reason, this.remoteAddress);
    // The stream's owner sees a downstream reset; the client gets the status if nothing was sent yet.
    if (!s.headersSent) this.writeError(status);
    this.closeNow();
    s.callbacks?.onDownstreamReset();
  }

  private reject(status: number, reason: string): void {
    this.handler.onCodecError(status, reason, this.remoteAddress);
    this.writeError(status);
    this.closeNow();
  }

  private writeError(status: number): void {
    this.socket.end(`${statusLine(status)}content-length: 0\r\nconnection: close\r\n\r\n`, 'latin1');
  }

  private closeNow(): void {
    this.closing = true;
    this.pending = null;
    if (!this.socket.writableEnded) this.socket.end();
    this.socket.destroySoon();
  }

  shouldClose(s: Http1ServerStream): boolean {
    if (this.draining || this.readEnded) return true;
    const max = this.limits.maxRequestsPerConnection;
    if (max > 0 && this.requests >= max) return true;
    return s.protocol === 'HTTP/1.0' ? !s.keepAliveRequested : s.closeRequested;
  }

  streamDone(s: Http1ServerStream, closeAfter: boolean): void {
    if (this.stream !== s) return;
    this.stream = null;
    if (this.pausedByStream) this.resumeReading();
    if (closeAfter || this.draining) {
      this.closeNow();
      return;
    }
    if (this.pending !== null) this.process();
    else if (this.readEnded) this.socket.end();
  }

  pauseReading(): void {
    this.pausedByStream = true;
    this.socket.pause();
  }

  resumeReading(): void {
    this.pausedByStream = false;
    this.socket.resume();
  }

  tunnel(s: Http1ServerStream, upstream: Socket, upstreamLeftover: Buffer | null): void {
    if (this.stream !== s) return;
    this.closing = true;
    const down = this.socket;
    down.removeAllListeners('data');
    down.setTimeout(0);
    if (upstreamLeftover !== null) down.write(upstreamLeftover);
    if (this.pending !== null) upstream.write(this.pending);
    this.pending = null;
    down.pipe(upstream);
    upstream.pipe(down);
    upstream.on('error', () => down.destroy());
    upstream.on('close', () => down.destroy());
    down.on('close', () => upstream.destroy());
    if (this.pausedByStream) this.resumeReading();
  }

  private onEnd(): void {
    this.readEnded = true;
    const s = this.stream;
    if (s !== null && !s.isFinished) {
      // EOF while a request is in flight is a client abort, as Envoy and nginx treat it (a
      // truncated body, or a client that gave up waiting): the upstream side is abandoned (DC).
      this.bodyMode = BODY_NONE;
      this.stream = null;
      this.closeNow();
      this.socket.destroy();
      s.callbacks?.onDownstreamReset();
      return;
    }
    if (this.stream === null && !this.processing && !this.closing) {
      if (this.pending !== null) this.process();
      else this.socket.end();
    }
  }

  /** @internal The request head did not complete in time. */
  headTimedOut(): void {
    this.headTimer = null;
    if (this.stream === null && !this.closing) this.reject(408, 'request headers timeout');
  }

  private onClose(): void {
    this.closing = true;
    if (this.headTimer !== null) clearTimeout(this.headTimer);
    this.pending = null;
    const s = this.stream;
    this.stream = null;
    if (s !== null && !s.isFinished) s.callbacks?.onDownstreamReset();
  }

  private onIdle(): void {
    // An in-flight request is governed by the route's timeouts, not the connection idle timeout.
    if (this.stream === null) this.socket.destroy();
  }
}

function hasBareLf(buf: Buffer): boolean {
  let i = buf.indexOf(0x0a);
  while (i >= 0) {
    if (i === 0 || buf[i - 1] !== 0x0d) return true;
    i = buf.indexOf(0x0a, i + 1);
  }
  return false;
}

function noop(): void {}

function onHeadTimeout(c: Http1ServerConnection): void {
  c.headTimedOut();
}

/** Last-resort report of a bug caught at a connection boundary (stderr; never rethrown). */
export function reportInternalError(where: string, err: unknown): void {
  process.emitWarning(`${where}: ${(err as Error)?.stack ?? String(err)}`, { code: 'MESH_PROXY_INTERNAL' });
}
