/**
 * TLS termination for one listener: a node:tls server that never listens itself. The listener
 * hands it accepted TCP sockets; the SNI callback picks the filter chain (and so the certificate)
 * by `filter_chain_match.server_names`, ALPN is negotiated from that chain's `alpn_protocols`, and
 * once the handshake is done the chain's client-certificate policy is enforced (node can only
 * request certificates server-wide) before the socket goes to the codec.
 */
import type { Socket } from 'node:net';
import { createServer, type SecureContext, type SecureVersion, type Server, type TLSSocket } from 'node:tls';
import { sanMatches } from './common-tls-context.js';
import { type DownstreamTlsConfig, secureContextOptions } from './downstream-tls-context.js';
import { type PeerIdentity, peerIdentity } from './peer-identity.js';
import { ServerNameIndex } from './server-name-index.js';
import type { TlsParams } from './tls-params.js';

/** A filter chain as the terminator sees it: its match, its TLS context and the caller's payload. */
export interface TlsChain<T> {
  readonly serverNames: readonly string[];
  readonly tls: DownstreamTlsConfig;
  readonly value: T;
}

/** A finished handshake, ready for a codec. */
export interface TlsSession<T> {
  readonly socket: TLSSocket;
  /** The selected chain's payload (e.g. its HTTP connection manager). */
  readonly chain: T;
  /** Negotiated ALPN protocol (`h2`, `http/1.1`) or '' when none was negotiated. */
  readonly alpn: string;
  /** SNI the client sent, or ''. */
  readonly serverName: string;
  /** The client certificate, when one was presented. */
  readonly peer: PeerIdentity | null;
}

/** Why a handshake or a chain policy refused a connection (for stats and logs). */
export type TlsRejection =
  | 'handshake'
  | 'no-chain'
  | 'no-sni'
  | 'no-client-cert'
  | 'bad-client-cert'
  | 'san-mismatch';

/** Options of {@link TlsTerminator}. */
export interface TlsTerminatorOptions {
  /** A peer that has not finished the handshake within this is dropped (default 10 s). */
  readonly handshakeTimeoutMs?: number;
  /** Called for every refused connection. */
  readonly onReject?: (why: TlsRejection, err: Error | null) => void;
}

/** Terminates TLS for the filter chains of one listener. */
export class TlsTerminator<T> {
  private readonly index = new ServerNameIndex<TlsChain<T>>();
  private readonly server: Server;

  /**
   * Builds the SNI index (duplicate or invalid server names are config errors naming `path`) and
   * the node:tls server; `onSecure` gets each session that passed its chain's policy.
   */
  constructor(
    chains: readonly TlsChain<T>[],
    path: string,
    private readonly onSecure: (session: TlsSession<T>) => void,
    private readonly options: TlsTerminatorOptions = {},
  ) {
    for (let i = 0; i < chains.length; i++) {
      const c = chains[i] as TlsChain<T>;
      this.index.add(c.serverNames, c, `${path}[${i}].filter_chain_match`);
    }
    const fallback = this.index.select(undefined);
    const requestCert = chains.some((c) => c.tls.common.validation !== undefined);
    this.server = createServer({
      // A ClientHello without SNI never reaches the SNI callback: it gets the server's own context.
      ...(fallback === undefined ? {} : secureContextOptions(fallback.tls.common)),
      // The version is negotiated before SNI switches contexts: allow the union, check per chain.
      ...versionRange(chains),
      SNICallback: this.sniCallback.bind(this),
      ALPNCallback: this.alpnCallback.bind(this),
      requestCert,
      // Verification outcome is judged per chain after the handshake (see finish()).
      rejectUnauthorized: false,
      handshakeTimeout: options.handshakeTimeoutMs ?? 10_000,
    });
    this.server.on('secureConnection', (s: TLSSocket) => this.finish(s));
    this.server.on('tlsClientError', (err: Error, s: TLSSocket) => {
      s.destroy();
      this.options.onReject?.('handshake', err);
    });
  }

  /** Starts the handshake on an accepted TCP socket. */
  accept(socket: Socket): void {
    this.server.emit('connection', socket);
  }

  private sniCallback(name: string, cb: (err: Error | null, ctx?: SecureContext) => void): void {
    const chain = this.index.select(name);
    if (chain === undefined) cb(new Error(`no filter chain for server name ${name}`));
    else cb(null, chain.tls.secureContext);
  }

  private alpnCallback(arg: { servername: string; protocols: string[] }): string | undefined {
    const chain = this.index.select(arg.servername);
    const offered = chain?.tls.common.alpnProtocols;
    // Server preference, as Envoy: the first configured protocol the client also offers.
    if (offered !== undefined) for (const p of offered) if (arg.protocols.includes(p)) return p;
    // Envoy declines ALPN here and the client falls back (HTTP/1.1 in practice). node can only
    // accept or abort the handshake, so accept that fallback explicitly instead of aborting.
    return arg.protocols.includes('http/1.1') ? 'http/1.1' : arg.protocols[0];
  }

  private finish(s: TLSSocket): void {
    const serverName = typeof s.servername === 'string' ? s.servername : '';
    const chain = this.index.select(serverName);
    const peer = peerIdentity(s);
    const why = chain === undefined ? 'no-chain' : refusal(chain.tls, s, serverName, peer);
    if (why !== null || chain === undefined) {
      s.destroy();
      this.options.onReject?.(why ?? 'no-chain', null);
      return;
    }
    const alpn = typeof s.alpnProtocol === 'string' ? s.alpnProtocol : '';
    this.onSecure({ socket: s, chain: chain.value, alpn, serverName, peer });
  }
}

const VERSION_ORDER: readonly string[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

/** The widest min/max version range over all chains. */
function versionRange<T>(chains: readonly TlsChain<T>[]): {
  minVersion?: SecureVersion;
  maxVersion?: SecureVersion;
} {
  if (chains.length === 0) return {};
  let lo = 3;
  let hi = 0;
  for (const c of chains) {
    lo = Math.min(lo, VERSION_ORDER.indexOf(c.tls.common.params.minVersion));
    hi = Math.max(hi, VERSION_ORDER.indexOf(c.tls.common.params.maxVersion));
  }
  return { minVersion: VERSION_ORDER[lo] as SecureVersion, maxVersion: VERSION_ORDER[hi] as SecureVersion };
}

/** Whether the negotiated `protocol` lies within the chain's `tls_params`. */
function versionAllowed(params: TlsParams, protocol: string | null): boolean {
  const v = VERSION_ORDER.indexOf(protocol ?? '');
  return v >= VERSION_ORDER.indexOf(params.minVersion) && v <= VERSION_ORDER.indexOf(params.maxVersion);
}

/** The chain's client policy: why `s` must be closed, or null when it may proceed. */
function refusal(
  tls: DownstreamTlsConfig,
  s: TLSSocket,
  serverName: string,
  peer: PeerIdentity | null,
): TlsRejection | null {
  if (tls.requireSni && serverName === '') return 'no-sni';
  if (!versionAllowed(tls.common.params, s.getProtocol())) return 'handshake';
  const validation = tls.common.validation;
  if (validation === undefined) return null;
  if (peer === null) return tls.requireClientCertificate ? 'no-client-cert' : null;
  if (validation.trustedCa !== undefined && !s.authorized) return 'bad-client-cert';
  return sanMatches(validation.sanMatchers, peer.sans) ? null : 'san-mismatch';
}
