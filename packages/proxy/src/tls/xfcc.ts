/**
 * Envoy's `x-forwarded-client-cert` (XFCC) handling, configured on the HTTP connection manager by
 * `forward_client_cert_details` and `set_current_client_cert_details`: sidecars tell the service
 * behind them who called (the mTLS client's SPIFFE ID) and strip anything a client forged.
 * Element format as Envoy: `By=<our URI SAN>;Hash=<sha256 of the client cert>;Subject="…";URI=…;DNS=…`.
 */
import { ProxyConfigError } from '../errors.js';
import { indexOfHeader, removeHeader } from '../router/header-mutation.js';
import { bool, type Json, obj, str } from '../xds/fields.js';
import type { PeerIdentity } from './peer-identity.js';

/** `forward_client_cert_details` modes (Envoy names). */
export type ForwardClientCertMode =
  | 'SANITIZE'
  | 'FORWARD_ONLY'
  | 'APPEND_FORWARD'
  | 'SANITIZE_SET'
  | 'ALWAYS_FORWARD_ONLY';

/** Compiled XFCC settings of one HCM. */
export interface XfccConfig {
  readonly mode: ForwardClientCertMode;
  readonly subject: boolean;
  readonly uri: boolean;
  readonly dns: boolean;
}

const MODES: readonly string[] = [
  'SANITIZE',
  'FORWARD_ONLY',
  'APPEND_FORWARD',
  'SANITIZE_SET',
  'ALWAYS_FORWARD_ONLY',
];
const XFCC = 'x-forwarded-client-cert';

/** Envoy's default: strip the header, add nothing. */
export const DEFAULT_XFCC: XfccConfig = { mode: 'SANITIZE', subject: false, uri: false, dns: false };

/** Compiles the two HCM fields (`o` is the HCM object at `path`). */
export function compileXfcc(o: Json, path: string): XfccConfig {
  const mode = str(o, 'forward_client_cert_details', path) ?? 'SANITIZE';
  if (!MODES.includes(mode)) {
    throw new ProxyConfigError(
      `${path}.forward_client_cert_details`,
      `unknown mode "${mode}" (${MODES.join(', ')})`,
    );
  }
  const v = o.set_current_client_cert_details;
  if (v === undefined || v === null)
    return mode === 'SANITIZE' ? DEFAULT_XFCC : { ...DEFAULT_XFCC, mode: mode as ForwardClientCertMode };
  const p = `${path}.set_current_client_cert_details`;
  const d = obj(v, p, ['subject', 'cert', 'chain', 'dns', 'uri']);
  if (bool(d, 'cert', p, false) || bool(d, 'chain', p, false)) {
    throw new ProxyConfigError(`${p}.cert`, 'forwarding the PEM certificate or chain is not supported');
  }
  return {
    mode: mode as ForwardClientCertMode,
    subject: bool(d, 'subject', p, false),
    uri: bool(d, 'uri', p, false),
    dns: bool(d, 'dns', p, false),
  };
}

/**
 * Rewrites the request's XFCC header for a connection whose client presented `peer` (undefined:
 * plaintext; null: TLS without a client certificate).
 */
export function applyXfcc(cfg: XfccConfig, headers: string[], peer: PeerIdentity | null | undefined): void {
  const mode = cfg.mode;
  if (mode === 'ALWAYS_FORWARD_ONLY') return;
  if (peer === undefined || peer === null || mode === 'SANITIZE') {
    // Only an mTLS client may vouch for earlier hops; anything else could be forged.
    if (indexOfHeader(headers, XFCC) >= 0) removeHeader(headers, XFCC);
    return;
  }
  if (mode === 'FORWARD_ONLY') return;
  const element = xfccElement(cfg, peer);
  const i = indexOfHeader(headers, XFCC);
  if (mode === 'APPEND_FORWARD' && i >= 0) headers[i + 1] = `${headers[i + 1]},${element}`;
  else {
    if (i >= 0) removeHeader(headers, XFCC);
    headers.push(XFCC, element);
  }
}

/** One XFCC element for `peer`. */
export function xfccElement(cfg: XfccConfig, peer: PeerIdentity): string {
  const parts: string[] = [];
  if (peer.localUriSans.length > 0) parts.push(`By=${peer.localUriSans[0]}`);
  parts.push(`Hash=${peer.fingerprint256.replaceAll(':', '').toLowerCase()}`);
  if (cfg.subject) parts.push(`Subject="${peer.subject.replaceAll('"', '\\"')}"`);
  if (cfg.uri && peer.uriSans.length > 0) parts.push(`URI=${peer.uriSans[0]}`);
  if (cfg.dns) for (const s of peer.sans) if (s.type === 'DNS') parts.push(`DNS=${s.value}`);
  return parts.join(';');
}
