/**
 * The downstream HTTP/2 sessions of one listener: a single node:http2 server that never listens
 * itself. The listener hands it sockets (plaintext with the preface, or TLS with ALPN `h2`); each
 * session remembers its filter chain's HCM and TLS facts, and gets that HCM's SETTINGS.
 */
import {
  createServer as createH2Server,
  type Http2Server,
  type Http2Session,
  type IncomingHttpHeaders,
  type ServerHttp2Stream,
} from 'node:http2';
import type { Socket } from 'node:net';
import type { HttpConnectionManager } from '../http/connection-manager.js';
import { Http2ServerStream } from '../http/http2-server-stream.js';
import type { DownstreamStream } from '../http/stream.js';
import type { PeerIdentity } from '../tls/peer-identity.js';
import { h2Settings } from './codec-setup.js';

/** What an HTTP/2 session's streams need: their chain's HCM and the TLS facts of the connection. */
interface SessionContext {
  readonly hcm: HttpConnectionManager;
  readonly tls: boolean;
  readonly peer: PeerIdentity | null | undefined;
}

/** A listener's HTTP/2 sessions. */
export class Http2Sessions {
  private h2: Http2Server | null = null;
  private readonly sessions = new Set<Http2Session>();
  private readonly contexts = new WeakMap<Http2Session, SessionContext>();
  private next: SessionContext | null = null;
  /** The HCM whose HTTP/2 settings the shared server was created with. */
  private settingsFrom: HttpConnectionManager | null = null;

  /** `draining`: whether a session that starts now must be told to go away at once. */
  constructor(private readonly draining: () => boolean) {}

  /** Open sessions. */
  get size(): number {
    return this.sessions.size;
  }

  /** Starts an HTTP/2 session on `socket` for `hcm` (`peer` undefined: plaintext). */
  start(socket: Socket, hcm: HttpConnectionManager, peer: PeerIdentity | null | undefined): void {
    const h2 = this.h2 ?? this.createServer(hcm);
    // node:http2 takes over the socket's handle and first drains what sniffing put back; the
    // session is created synchronously inside emit(), so `next` reaches its 'session' event.
    this.next = { hcm, tls: peer !== undefined, peer };
    h2.emit('connection', socket);
    this.next = null;
  }

  private createServer(first: HttpConnectionManager): Http2Server {
    this.settingsFrom = first;
    const h2 = createH2Server({ settings: h2Settings(first) });
    h2.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => {
      const ctx = this.contexts.get(stream.session as Http2Session);
      if (ctx === undefined) return;
      const ds: DownstreamStream = new Http2ServerStream(stream, headers, ctx.tls);
      if (ctx.peer !== undefined) ds.peer = ctx.peer;
      ctx.hcm.onRequest(ds);
    });
    h2.on('session', (session: Http2Session) => {
      const ctx = this.next ?? { hcm: first, tls: false, peer: undefined };
      this.contexts.set(session, ctx);
      const stats = ctx.hcm.stats;
      // The server was created with the first HCM's settings; each chain (and LDS update) has its own.
      if (ctx.hcm !== this.settingsFrom) session.settings(h2Settings(ctx.hcm));
      this.sessions.add(session);
      stats.cxTotal.inc();
      stats.cxActive.value++;
      session.on('error', () => {});
      session.once('close', () => {
        this.sessions.delete(session);
        stats.cxActive.value--;
      });
      if (this.draining()) session.close();
    });
    h2.on('sessionError', () => {});
    this.h2 = h2;
    return h2;
  }

  /** Graceful: GOAWAY, in-flight streams finish. */
  closeAll(): void {
    for (const s of this.sessions) s.close();
  }

  /** Immediate. */
  destroyAll(): void {
    for (const s of this.sessions) s.destroy();
  }
}
