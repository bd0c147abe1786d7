/**
 * Envoy `UpstreamTlsContext` (cluster `transport_socket`): TLS origination towards a cluster's
 * hosts for both HTTP/1.1 and HTTP/2 pools. Envoy semantics: the server certificate is verified
 * only when `validation_context.trusted_ca` is set, and its name only against
 * `match_typed_subject_alt_names` (not against the SNI) — node's defaults differ on both.
 */
import { connect, type SecureContext, type TLSSocket } from 'node:tls';
import { ProxyConfigError } from '../errors.js';
import { obj, str, uint } from '../xds/fields.js';
import { type CommonTlsContext, compileCommonTlsContext, sanMatches } from './common-tls-context.js';
import { buildSecureContext } from './downstream-tls-context.js';
import { parseSubjectAltName } from './peer-identity.js';
import { UPSTREAM_TLS_TYPE, unwrapTransportSocket } from './transport-socket.js';

/** A compiled `UpstreamTlsContext`. */
export interface UpstreamTlsConfig {
  readonly common: CommonTlsContext;
  /** `sni`: server name sent in the ClientHello ('' → none). */
  readonly sni: string;
  /** `max_session_keys` (default 1): 0 disables session resumption; more than 1 keeps one. */
  readonly maxSessionKeys: number;
  readonly secureContext: SecureContext;
}

const FIELDS = ['common_tls_context', 'sni', 'allow_renegotiation', 'max_session_keys'];

/** Compiles a cluster's `transport_socket` at `path`; undefined for plaintext. */
export function compileUpstreamTransportSocket(v: unknown, path: string): UpstreamTlsConfig | undefined {
  const body = unwrapTransportSocket(v, path, UPSTREAM_TLS_TYPE);
  return body === undefined ? undefined : compileUpstreamTlsContext(body, `${path}.typed_config`);
}

/** Compiles an `UpstreamTlsContext` body (without `@type`) at `path`. */
export function compileUpstreamTlsContext(v: unknown, path: string): UpstreamTlsConfig {
  const o = obj(v, path, FIELDS);
  if (o.allow_renegotiation === true) {
    throw new ProxyConfigError(`${path}.allow_renegotiation`, 'renegotiation is not supported');
  }
  const cp = `${path}.common_tls_context`;
  const common = compileCommonTlsContext(o.common_tls_context, cp);
  if (common.certificates.length > 1) {
    throw new ProxyConfigError(
      `${cp}.tls_certificates`,
      'an upstream TLS context takes at most one client certificate',
    );
  }
  const sni = str(o, 'sni', path) ?? '';
  if (sni.length > 255) throw new ProxyConfigError(`${path}.sni`, 'longer than 255 characters');
  const maxSessionKeys = uint(o, 'max_session_keys', path, 1);
  return { common, sni, maxSessionKeys, secureContext: buildSecureContext(common, cp) };
}

/**
 * Opens a TLS connection to `host:port` for a pool. `alpn` is what the pool speaks (`h2` or
 * `http/1.1`; '' for none, as the TCP proxy) unless the context configures its own list.
 * Verification failures surface as the socket's `error` (a connect failure for the pool).
 */
export function connectUpstreamTls(
  tls: UpstreamTlsConfig,
  host: string,
  port: number,
  alpn: string,
): TLSSocket {
  const validation = tls.common.validation;
  const verify = validation?.trustedCa !== undefined;
  const matchers = validation?.sanMatchers ?? [];
  let sessions = SESSIONS.get(tls);
  if (sessions === undefined) {
    sessions = new Map();
    SESSIONS.set(tls, sessions);
  }
  const cache = sessions;
  const key = `${host}:${port}:${alpn}`;
  const socket = connect({
    host,
    port,
    session: cache.get(key),
    servername: tls.sni === '' ? undefined : tls.sni,
    secureContext: tls.secureContext,
    ALPNProtocols:
      tls.common.alpnProtocols.length > 0 ? [...tls.common.alpnProtocols] : alpn === '' ? undefined : [alpn],
    rejectUnauthorized: verify,
    checkServerIdentity: (_name, cert) => {
      if (sanMatches(matchers, parseSubjectAltName(cert.subjectaltname))) return undefined;
      return new Error('upstream certificate matches no match_typed_subject_alt_names entry');
    },
  });
  // Envoy keeps `max_session_keys` (1) per context: the next connection resumes the session.
  if (tls.maxSessionKeys > 0) socket.on('session', (session: Buffer) => cache.set(key, session));
  return socket;
}

/** Resumable TLS sessions per context and `host:port:alpn` (dropped with the cluster's context). */
const SESSIONS = new WeakMap<UpstreamTlsConfig, Map<string, Buffer>>();
