/**
 * A downstream HTTP/2 stream (node:http2) as a {@link DownstreamStream}: pseudo-headers become
 * method/path/authority, the response is `respond()` plus DATA, and trailers (gRPC's
 * `grpc-status`) are sent with `waitForTrailers`.
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import { constants } from 'node:http2';
import type { Socket } from 'node:net';
import { fromH2Headers, toH2Headers } from './h2-headers.js';
import type { BodyReader, DownstreamStream, StreamCallbacks } from './stream.js';

/** HTTP/2 implementation of {@link DownstreamStream}. */
export class Http2ServerStream implements DownstreamStream {
  readonly protocol = 'HTTP/2' as const;
  readonly method: string;
  readonly rawPath: string;
  readonly authority: string;
  readonly scheme: 'http' | 'https';
  readonly headers: string[];
  readonly hasBody: boolean;
  readonly contentLength: number;
  readonly upgrade = '';
  readonly remoteAddress: string;
  bodyBytesReceived = 0;
  bytesSent = 0;
  headersSent = false;
  callbacks: StreamCallbacks | null = null;
  private trailers: string[] | null = null;
  private finished = false;

  constructor(
    private readonly stream: ServerHttp2Stream,
    h: IncomingHttpHeaders,
    tls: boolean,
  ) {
    this.method = String(h[':method'] ?? 'GET');
    this.rawPath = String(h[':path'] ?? '/');
    this.authority = String(h[':authority'] ?? h.host ?? '');
    this.scheme = tls ? 'https' : 'http';
    this.headers = fromH2Headers(h);
    this.hasBody = !stream.endAfterHeaders;
    const cl = h['content-length'];
    this.contentLength = this.hasBody ? (cl === undefined ? -1 : Number(cl)) : 0;
    this.remoteAddress = stream.session?.socket?.remoteAddress ?? '';
    stream.on('error', () => {});
    stream.on('close', () => {
      if (!this.finished) {
        this.finished = true;
        this.callbacks?.onDownstreamReset();
      }
    });
    stream.on('drain', () => this.callbacks?.onDownstreamDrain());
    stream.on('wantTrailers', () => {
      const t = this.trailers;
      if (t !== null && t.length > 0) stream.sendTrailers(toH2Headers(t, {}));
      else stream.close();
    });
  }

  readBody(reader: BodyReader): void {
    this.stream.on('data', (chunk: Buffer) => {
      this.bodyBytesReceived += chunk.length;
      reader.onData(chunk);
    });
    this.stream.on('end', () => reader.onEnd());
  }

  pauseBody(): void {
    this.stream.pause();
  }

  resumeBody(): void {
    this.stream.resume();
  }

  writeHead(status: number, headers: string[], contentLength: number, endStream: boolean): void {
    if (this.headersSent || this.finished || this.stream.destroyed) return;
    this.headersSent = true;
    const out: OutgoingHttpHeaders = toH2Headers(headers, { ':status': status });
    if (contentLength >= 0 && !endStream) out['content-length'] = contentLength;
    try {
      // Only gRPC needs trailers; a plain response ends with its last DATA frame.
      const grpc = String(out['content-type'] ?? '').startsWith('application/grpc');
      this.stream.respond(out, { endStream, waitForTrailers: grpc && !endStream });
    } catch {
      this.reset();
      return;
    }
    if (endStream) this.finished = true;
  }

  writeData(chunk: Buffer): boolean {
    if (this.finished || this.stream.destroyed) return true;
    this.bytesSent += chunk.length;
    return this.stream.write(chunk);
  }

  end(trailers?: string[] | null): void {
    if (this.finished) return;
    this.finished = true;
    this.trailers = trailers ?? null;
    if (!this.stream.destroyed) this.stream.end();
  }

  reset(): void {
    if (this.finished && this.stream.destroyed) return;
    this.finished = true;
    if (!this.stream.destroyed) this.stream.close(constants.NGHTTP2_INTERNAL_ERROR);
  }

  tunnel(upstream: Socket): void {
    // Upgrade does not exist in HTTP/2 (extended CONNECT is not supported).
    upstream.destroy();
    this.reset();
  }
}
