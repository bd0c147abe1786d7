/**
 * What an upstream connection reports to the request attempt using it. An HTTP/2 upstream
 * codec reports through the same interface, so the router does not care which one it talks to.
 */
import type { Socket } from 'node:net';

/** How an upstream attempt failed before or while receiving the response. */
/** How an attempt failed; `refused-stream`: an HTTP/2 upstream refused the stream (nothing was processed). */
export type UpstreamFailure =
  | 'connect-failure'
  | 'connect-timeout'
  | 'reset'
  | 'refused-stream'
  | 'protocol'
  | 'overflow';

/** Callbacks from an upstream connection to the attempt it serves. */
export interface UpstreamCallbacks {
  /** A connection is ready for this attempt (from the pool). */
  onPoolReady(conn: UpstreamConnection): void;
  onResponseHead(status: number, headers: string[], contentLength: number, endStream: boolean): void;
  onResponseData(chunk: Buffer): void;
  /** The response ended; `trailers` (flat, lower-case) when the upstream sent any (HTTP/2, gRPC). */
  onResponseEnd(trailers: string[] | null): void;
  /**
   * The attempt failed. `safeToRetry` is true when the failure happened on a reused keep-alive
   * connection before any response byte arrived: the upstream closed it between requests, so
   * the request can go again on a fresh connection without counting as a retry.
   */
  onUpstreamFailure(kind: UpstreamFailure, safeToRetry: boolean): void;
  /** The upstream answered 101; the socket now belongs to the caller. */
  onUpgrade(socket: Socket, leftover: Buffer | null, headers: string[]): void;
  /** The upstream socket can take more request body. */
  onUpstreamDrain(): void;
}

/** The request head an upstream codec sends, in protocol-neutral parts. */
export interface OutboundHead {
  readonly method: string;
  /** Path with query, after rewrites. */
  readonly path: string;
  /** Host / `:authority` to send. */
  readonly authority: string;
  /** End-to-end headers, flat, lower-case names (no Host, no hop-by-hop). */
  readonly headers: readonly string[];
  /** The HTTP/1.1 serialisation (request line, headers, framing), built only by HTTP/1.1 pools. */
  http1Head(): string;
}

/** Where an attempt gets its connection: an HTTP/1.1 or HTTP/2 pool of one host. */
export interface ConnectionPool {
  /** Gets a connection for `cb` (`onPoolReady`), or fails it (`onUpstreamFailure`). `fresh` skips reuse. */
  acquire(cb: UpstreamCallbacks, fresh: boolean): void;
  /** Forgets a waiting `cb` (its request was cancelled). */
  cancel(cb: UpstreamCallbacks): void;
  /** Closes idle connections now, the rest as they finish. */
  close(): void;
}

/** A connection that carries one request at a time (HTTP/1.1) or one stream of many (HTTP/2). */
export interface UpstreamConnection {
  /**
   * Sends a request head. `bodyLength`: 0 none, n > 0 exact length, -1 unknown (chunked).
   * `headRequest` tells the codec the response has no body whatever its headers say.
   */
  send(
    cb: UpstreamCallbacks,
    head: OutboundHead,
    bodyLength: number,
    headRequest: boolean,
    upgrade: boolean,
  ): void;
  /** Request body bytes; false = back-pressure. */
  writeBody(chunk: Buffer): boolean;
  endBody(): void;
  /** Abandons the exchange (timeout, downstream reset); the connection is destroyed. */
  abort(): void;
  /** Reading pause/resume for response back-pressure. */
  pause(): void;
  resume(): void;
}
