/**
 * What the listener hands each codec beyond the socket: the SETTINGS of a downstream HTTP/2
 * session, and the per-connection stamp that puts a TLS client's identity on its HTTP/1.1 requests.
 */
import type { Settings } from 'node:http2';
import type { HttpConnectionManager } from '../http/connection-manager.js';
import type { RequestHandler } from '../http/http1-server-connection.js';
import type { DownstreamStream } from '../http/stream.js';
import type { PeerIdentity } from '../tls/peer-identity.js';

/**
 * SETTINGS a downstream HTTP/2 session advertises: `max_concurrent_streams`, and
 * `max_request_headers_kb` as the header list limit (node:http2 resets a stream above it).
 */
export function h2Settings(hcm: HttpConnectionManager): Settings {
  return {
    maxConcurrentStreams: hcm.config.maxConcurrentStreams,
    maxHeaderListSize: hcm.config.limits.maxHeaderBytes,
  };
}

/** Hands each HTTP/1.1 request of one TLS connection to the HCM with the client's identity. */
export class PeerStamp implements RequestHandler {
  constructor(
    private readonly hcm: HttpConnectionManager,
    private readonly peer: PeerIdentity | null,
  ) {}

  onRequest(stream: DownstreamStream & Parameters<RequestHandler['onRequest']>[0]): void {
    stream.peer = this.peer;
    this.hcm.onRequest(stream);
  }

  onCodecError(status: number, reason: string, remoteAddress: string): void {
    this.hcm.onCodecError(status, reason, remoteAddress);
  }
}
