/**
 * The protocol-neutral request/response stream between a downstream codec and the HTTP
 * connection manager. The HTTP/1.1 codec implements it today; an HTTP/2 codec (node:http2)
 * implements the same interface and plugs into the same HCM, filters and router.
 *
 * Headers are flat arrays `[name, value, name, value, …]` with lower-case names and without
 * hop-by-hop or framing headers: framing is the codec's business, never the router's.
 */
import type { Socket } from 'node:net';
import type { PeerIdentity } from '../tls/peer-identity.js';

/** Receives body bytes of a request or a response. */
export interface BodyReader {
  onData(chunk: Buffer): void;
  onEnd(): void;
}

/** Callbacks the codec fires towards whoever owns the stream (the HCM's active stream). */
export interface StreamCallbacks {
  /** The downstream went away before the response finished (response flag `DC`). */
  onDownstreamReset(): void;
  /** The downstream can take more response bytes after {@link DownstreamStream.writeData} returned false. */
  onDownstreamDrain(): void;
}

/** One request on a downstream connection, whatever the protocol. */
export interface DownstreamStream {
  readonly protocol: 'HTTP/1.0' | 'HTTP/1.1' | 'HTTP/2';
  readonly method: string;
  /** The request target as received (origin-form, with query). */
  readonly rawPath: string;
  /** `:authority` / Host. */
  readonly authority: string;
  readonly scheme: 'http' | 'https';
  /** End-to-end request headers (no Host, no hop-by-hop, no framing). */
  readonly headers: string[];
  /** True when a request body follows the head. */
  readonly hasBody: boolean;
  /** Content-Length of the request body, -1 when unknown (chunked / HTTP/2 without it). */
  readonly contentLength: number;
  /** Protocol named by `Upgrade` when this is an upgrade request (e.g. `websocket`), else ''. */
  readonly upgrade: string;
  readonly remoteAddress: string;
  /**
   * The client certificate of a TLS connection (mTLS; URI SANs carry SPIFFE IDs), null when the
   * client presented none, undefined on plaintext connections. Set by the listener.
   */
  peer?: PeerIdentity | null;
  /** Bytes of request body received so far. */
  readonly bodyBytesReceived: number;
  /** Bytes of response (head + body) written so far. */
  readonly bytesSent: number;
  /** True once the response head was written. */
  readonly headersSent: boolean;
  callbacks: StreamCallbacks | null;
  /** Starts delivering request body (buffered bytes first). Sends `100 Continue` if the client asked. */
  readBody(reader: BodyReader): void;
  pauseBody(): void;
  resumeBody(): void;
  /** Writes the response head; `contentLength` -1 means unknown (chunked on HTTP/1.1). */
  writeHead(status: number, headers: string[], contentLength: number, endStream: boolean): void;
  /** Writes body bytes; false means back-pressure (wait for `onDownstreamDrain`). */
  writeData(chunk: Buffer): boolean;
  /** Ends the response, with trailers when the protocol carries them (HTTP/2, gRPC). */
  end(trailers?: string[] | null): void;
  /** Aborts the stream (resets the connection on HTTP/1.1). */
  reset(): void;
  /** After a `101` head: hands both sockets over to a byte tunnel (WebSocket / Upgrade). */
  tunnel(upstream: Socket, upstreamLeftover: Buffer | null): void;
}
