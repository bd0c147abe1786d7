/**
 * One request/response exchange on an HTTP/1.1 downstream connection: buffers request body
 * until the router attaches a reader, frames the response (Content-Length, chunked or
 * close-delimited) and tells its connection when the exchange is over.
 */
import type { Socket } from 'node:net';
import { HOP_BY_HOP } from './head-parser.js';
import { statusLine } from './status-lines.js';
import type { BodyReader, DownstreamStream, StreamCallbacks } from './stream.js';

/** What a stream needs from its connection. */
export interface Http1StreamOwner {
  readonly socket: Socket;
  /** Uncorks the socket (bound once per connection, used with process.nextTick). */
  readonly uncork: () => void;
  /** True when the connection must close after this response (drain, Connection: close, …). */
  shouldClose(stream: Http1ServerStream): boolean;
  streamDone(stream: Http1ServerStream, closeAfter: boolean): void;
  pauseReading(): void;
  resumeReading(): void;
  tunnel(stream: Http1ServerStream, upstream: Socket, upstreamLeftover: Buffer | null): void;
}

const CHUNK_END = Buffer.from('\r\n');
const LAST_CHUNK = Buffer.from('0\r\n\r\n');

/** HTTP/1.x implementation of {@link DownstreamStream}. */
export class Http1ServerStream implements DownstreamStream {
  readonly protocol: 'HTTP/1.0' | 'HTTP/1.1';
  authority: string;
  readonly scheme: 'http' | 'https';
  callbacks: StreamCallbacks | null = null;
  bodyBytesReceived = 0;
  bytesSent = 0;
  headersSent = false;
  /** Set by the connection when the request body has been fully received. */
  requestComplete: boolean;
  expectContinue: boolean;
  keepAliveRequested: boolean;
  closeRequested: boolean;
  /** The request said `TE: trailers`: response trailers may go in the last chunk. */
  trailersAccepted = false;
  private reader: BodyReader | null = null;
  private buffered: Buffer[] | null = null;
  private bufferedBytes = 0;
  private chunkedOut = false;
  private closeAfter = false;
  private finished = false;

  constructor(
    private readonly owner: Http1StreamOwner,
    readonly method: string,
    readonly rawPath: string,
    authority: string,
    readonly headers: string[],
    readonly hasBody: boolean,
    readonly contentLength: number,
    readonly upgrade: string,
    readonly remoteAddress: string,
    versionMinor: number,
    tls: boolean,
  ) {
    this.protocol = versionMinor === 1 ? 'HTTP/1.1' : 'HTTP/1.0';
    this.authority = authority;
    this.scheme = tls ? 'https' : 'http';
    this.requestComplete = !hasBody;
    this.expectContinue = false;
    this.keepAliveRequested = false;
    this.closeRequested = false;
  }

  /** Called by the connection with request body bytes (zero-copy slices of socket reads). */
  deliverBody(chunk: Buffer): void {
    this.bodyBytesReceived += chunk.length;
    if (this.reader !== null) {
      this.reader.onData(chunk);
      return;
    }
    if (this.buffered === null) this.buffered = [];
    this.buffered.push(chunk);
    this.bufferedBytes += chunk.length;
    // Nobody reads yet (a filter is still deciding): stop the socket rather than buffer without bound.
    if (this.bufferedBytes > 65536) this.owner.pauseReading();
  }

  /** Called by the connection when the request body ended. */
  deliverEnd(): void {
    this.requestComplete = true;
    if (this.reader !== null) this.reader.onEnd();
  }

  readBody(reader: BodyReader): void {
    this.reader = reader;
    if (this.expectContinue && !this.headersSent) {
      this.expectContinue = false;
      this.owner.socket.write('HTTP/1.1 100 Continue\r\n\r\n');
    }
    const buffered = this.buffered;
    if (buffered !== null) {
      this.buffered = null;
      this.bufferedBytes = 0;
      for (const b of buffered) reader.onData(b);
      this.owner.resumeReading();
    }
    if (this.requestComplete) reader.onEnd();
  }

  pauseBody(): void {
    this.owner.pauseReading();
  }

  resumeBody(): void {
    this.owner.resumeReading();
  }

  writeHead(status: number, headers: string[], contentLength: number, endStream: boolean): void {
    if (this.headersSent || this.finished) return;
    this.headersSent = true;
    const noBody = endStream || this.method === 'HEAD' || status === 204 || status === 304 || status < 200;
    // An upgrade that was not accepted leaves unframed bytes behind it: never parse them as requests.
    this.closeAfter =
      this.owner.shouldClose(this) ||
      (contentLength < 0 && !noBody && this.protocol === 'HTTP/1.0') ||
      (this.upgrade !== '' && status !== 101);
    let head = statusLine(status);
    for (let i = 0; i < headers.length; i += 2) head += headers[i] + ': ' + headers[i + 1] + '\r\n';
    if (status !== 101) {
      if (contentLength >= 0) head += 'content-length: ' + contentLength + '\r\n';
      else if (endStream && status !== 204 && status !== 304) head += 'content-length: 0\r\n';
      else if (!noBody && this.protocol === 'HTTP/1.1') {
        head += 'transfer-encoding: chunked\r\n';
        this.chunkedOut = true;
      }
      if (this.closeAfter) head += 'connection: close\r\n';
      else if (this.protocol === 'HTTP/1.0') head += 'connection: keep-alive\r\n';
    }
    head += '\r\n';
    this.bytesSent += head.length;
    const socket = this.owner.socket;
    if (!endStream && socket.writableCorked === 0) {
      // The body usually follows in the same tick: one writev for head and body instead of two writes.
      socket.cork();
      process.nextTick(this.owner.uncork);
    }
    socket.write(head, 'latin1');
    if (endStream) this.end();
  }

  writeData(chunk: Buffer): boolean {
    if (this.finished || chunk.length === 0) return true;
    const socket = this.owner.socket;
    this.bytesSent += chunk.length;
    if (!this.chunkedOut) return socket.write(chunk);
    socket.cork();
    socket.write(chunk.length.toString(16) + '\r\n', 'latin1');
    socket.write(chunk);
    const ok = socket.write(CHUNK_END);
    socket.uncork();
    return ok;
  }

  /**
   * Ends the response. `trailers` go out as the chunked trailer section when the response is
   * chunked and the client sent `TE: trailers`; otherwise they are dropped (there is no other
   * place for them in HTTP/1.1).
   */
  end(trailers?: string[] | null): void {
    if (this.finished) return;
    this.finished = true;
    if (this.chunkedOut) {
      const section = this.trailersAccepted && trailers ? trailerSection(trailers) : '';
      if (section === '') this.owner.socket.write(LAST_CHUNK);
      else {
        this.owner.socket.write(`0\r\n${section}\r\n`, 'latin1');
        this.bytesSent += section.length;
      }
    }
    this.reader = null;
    this.owner.streamDone(this, this.closeAfter || !this.requestComplete);
  }

  reset(): void {
    if (this.finished) return;
    this.finished = true;
    this.reader = null;
    this.owner.socket.destroy();
  }

  tunnel(upstream: Socket, upstreamLeftover: Buffer | null): void {
    this.finished = true;
    this.reader = null;
    this.owner.tunnel(this, upstream, upstreamLeftover);
  }

  /** True once end() or reset() ran. */
  get isFinished(): boolean {
    return this.finished;
  }
}

/**
 * `name: value` lines of the trailers that may appear in a trailer section: framing, routing and
 * connection fields never do (RFC 9110 §6.5.1).
 */
function trailerSection(trailers: string[]): string {
  let out = '';
  for (let i = 0; i < trailers.length; i += 2) {
    if (!HOP_BY_HOP.has(trailers[i])) out += `${trailers[i]}: ${trailers[i + 1]}\r\n`;
  }
  return out;
}
