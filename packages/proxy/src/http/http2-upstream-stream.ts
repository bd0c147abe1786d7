/** One request/response exchange on an upstream HTTP/2 session, reported as {@link UpstreamCallbacks}. */
import {
  type ClientHttp2Session,
  type ClientHttp2Stream,
  constants,
  type IncomingHttpHeaders,
} from 'node:http2';
import { fromH2Headers, toH2Headers } from './h2-headers.js';
import type { OutboundHead, UpstreamCallbacks, UpstreamConnection } from './upstream-callbacks.js';

const END_STREAM = 0x1;

/** Told once when a stream is over, however it ended (the pool's per-session stream count). */
export interface StreamSlot {
  streamClosed(): void;
}

/** An upstream HTTP/2 stream. */
export class Http2UpstreamStream implements UpstreamConnection {
  private cb: UpstreamCallbacks | null = null;
  private req: ClientHttp2Stream | null = null;
  private trailers: string[] | null = null;
  private gotResponse = false;
  private ended = false;
  private slotFreed = false;

  constructor(
    private readonly session: ClientHttp2Session,
    private readonly slot: StreamSlot | null = null,
  ) {}

  private freeSlot(): void {
    if (this.slotFreed) return;
    this.slotFreed = true;
    this.slot?.streamClosed();
  }

  send(cb: UpstreamCallbacks, head: OutboundHead, bodyLength: number): void {
    this.cb = cb;
    const headers = toH2Headers(head.headers, {
      ':method': head.method,
      ':path': head.path,
      ':authority': head.authority,
      ':scheme': this.session.encrypted ? 'https' : 'http',
    });
    if (bodyLength > 0) headers['content-length'] = String(bodyLength);
    let req: ClientHttp2Stream;
    try {
      req = this.session.request(headers, { endStream: bodyLength === 0 });
    } catch {
      this.freeSlot();
      this.fail();
      return;
    }
    this.req = req;
    req.on('response', (h: IncomingHttpHeaders, flags: number) => this.onResponse(h, flags));
    req.on('data', (chunk: Buffer) => this.cb?.onResponseData(chunk));
    req.on('trailers', (h: IncomingHttpHeaders) => {
      this.trailers = fromH2Headers(h);
    });
    req.on('end', () => this.onEnd());
    req.on('drain', () => this.cb?.onUpstreamDrain());
    req.on('error', () => {});
    req.on('close', () => {
      this.freeSlot();
      if (!this.ended)
        this.fail(req.rstCode === constants.NGHTTP2_REFUSED_STREAM ? 'refused-stream' : 'reset');
    });
  }

  private onResponse(h: IncomingHttpHeaders, flags: number): void {
    const cb = this.cb;
    if (cb === null) return;
    const status = Number(h[':status']);
    if (status < 200) return;
    this.gotResponse = true;
    const cl = h['content-length'];
    cb.onResponseHead(
      status,
      fromH2Headers(h),
      cl === undefined ? -1 : Number(cl),
      (flags & END_STREAM) !== 0,
    );
  }

  private onEnd(): void {
    this.ended = true;
    const cb = this.cb;
    this.cb = null;
    if (cb === null) return;
    if (!this.gotResponse) cb.onUpstreamFailure('protocol', false);
    else cb.onResponseEnd(this.trailers);
  }

  private fail(kind: 'reset' | 'refused-stream' = 'reset'): void {
    this.ended = true;
    const cb = this.cb;
    this.cb = null;
    cb?.onUpstreamFailure(kind, false);
  }

  writeBody(chunk: Buffer): boolean {
    return this.req === null || this.req.destroyed ? true : this.req.write(chunk);
  }

  endBody(): void {
    if (this.req !== null && !this.req.destroyed) this.req.end();
  }

  abort(): void {
    this.cb = null;
    this.ended = true;
    if (this.req === null) this.freeSlot();
    else if (!this.req.destroyed) this.req.close(constants.NGHTTP2_CANCEL);
  }

  pause(): void {
    this.req?.pause();
  }

  resume(): void {
    this.req?.resume();
  }
}
