/**
 * The identity a TLS peer proved: its certificate's subject alternative names (SPIFFE IDs are URI
 * SANs), subject and fingerprint. Read once per connection, after the handshake, and shared by
 * every request on it so filters (authorisation) can decide on it without touching the socket.
 */
import type { PeerCertificate, TLSSocket } from 'node:tls';
import type { PeerSan, SanType } from './common-tls-context.js';

/** What a downstream (or upstream) peer presented. */
export interface PeerIdentity {
  /** Whether the chain verified against the configured trusted CA. */
  readonly verified: boolean;
  readonly sans: readonly PeerSan[];
  /** URI SANs only (e.g. `spiffe://cluster.local/ns/shop/sa/cart`). */
  readonly uriSans: readonly string[];
  readonly subject: string;
  readonly fingerprint256: string;
  /** URI SANs of the certificate this proxy presented on the connection (XFCC `By`). */
  readonly localUriSans: readonly string[];
}

const SAN_PREFIXES: ReadonlyArray<readonly [string, SanType]> = [
  ['DNS:', 'DNS'],
  ['URI:', 'URI'],
  ['email:', 'EMAIL'],
  ['IP Address:', 'IP_ADDRESS'],
];

/** Parses node's `subjectaltname` string (`DNS:a, URI:spiffe://x, IP Address:1.2.3.4`). */
export function parseSubjectAltName(s: string | undefined): PeerSan[] {
  const out: PeerSan[] = [];
  if (s === undefined || s === '') return out;
  // Node quotes entries containing separators as JSON strings, e.g. `URI:"a, b"`.
  for (const raw of splitSans(s)) {
    for (const [prefix, type] of SAN_PREFIXES) {
      if (!raw.startsWith(prefix)) continue;
      let value = raw.slice(prefix.length);
      if (value.startsWith('"')) value = JSON.parse(value) as string;
      out.push({ type, value });
      break;
    }
  }
  return out;
}

function splitSans(s: string): string[] {
  const parts: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22 && s.charCodeAt(i - 1) !== 0x5c) quoted = !quoted;
    else if (c === 0x2c && !quoted) {
      parts.push(s.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(s.slice(start).trim());
  return parts;
}

/** The peer identity of a connected TLS socket, or null when the peer sent no certificate. */
export function peerIdentity(socket: TLSSocket): PeerIdentity | null {
  const cert: PeerCertificate | Record<string, never> = socket.getPeerCertificate(false);
  if (cert === null || !('raw' in cert) || cert.raw === undefined) return null;
  const sans = parseSubjectAltName(cert.subjectaltname);
  const uriSans: string[] = [];
  for (const s of sans) if (s.type === 'URI') uriSans.push(s.value);
  return {
    verified: socket.authorized,
    sans,
    uriSans,
    subject: subjectString(cert.subject),
    fingerprint256: cert.fingerprint256,
    localUriSans: localUris(socket),
  };
}

function localUris(socket: TLSSocket): string[] {
  const own = socket.getCertificate();
  if (own === null || !('subjectaltname' in own)) return [];
  const out: string[] = [];
  for (const s of parseSubjectAltName(own.subjectaltname)) if (s.type === 'URI') out.push(s.value);
  return out;
}

function subjectString(subject: PeerCertificate['subject'] | undefined): string {
  if (subject === undefined) return '';
  const parts: string[] = [];
  for (const k of Object.keys(subject))
    parts.push(`${k}=${String((subject as unknown as Record<string, unknown>)[k])}`);
  return parts.join(',');
}
