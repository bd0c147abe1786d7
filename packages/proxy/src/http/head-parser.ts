/**
 * Strict HTTP/1.1 message-head parser (RFC 9112) shared by the downstream codec (request heads)
 * and the upstream codec (response heads). It works on the head as a latin1 string, validates
 * every byte against lookup tables, and reports framing facts (Content-Length, chunked,
 * Connection tokens) so the caller never re-scans the headers. Anything ambiguous that could be
 * used for request smuggling is an error, never a guess.
 */
import { allIn, FIELD_VALUE, TARGET, TOKEN } from './chars.js';

/** Headers that describe one connection or one message's framing; never forwarded as-is. */
export const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'content-length',
  'host',
  'expect',
  'http2-settings',
]);

/** Framing and connection facts gathered while parsing header lines. */
export class HeadFacts {
  /** Flat `[name, value, name, value, …]`, names lower-cased. */
  headers: string[] = [];
  /** Parsed `Content-Length`, or -1 when absent. */
  contentLength = -1;
  chunked = false;
  hasTransferEncoding = false;
  connectionClose = false;
  connectionKeepAlive = false;
  connectionUpgrade = false;
  /** Other header names listed in `Connection` (hop-by-hop by declaration, RFC 9110 §7.6.1). */
  connectionTokens: string[] | null = null;
  /** Value of the `Upgrade` header, '' when absent. */
  upgrade = '';
  expectContinue = false;
  /** `TE` lists `trailers`: the client accepts trailer fields in a chunked response. */
  teTrailers = false;
  /** Value of the single `Host` header, or null when absent. */
  host: string | null = null;
  hostCount = 0;

  reset(): void {
    this.headers = [];
    this.contentLength = -1;
    this.chunked = false;
    this.hasTransferEncoding = false;
    this.connectionClose = false;
    this.connectionKeepAlive = false;
    this.connectionUpgrade = false;
    this.connectionTokens = null;
    this.upgrade = '';
    this.expectContinue = false;
    this.teTrailers = false;
    this.host = null;
    this.hostCount = 0;
  }
}

/** A parsed request head. One instance is reused per connection. */
export class RequestHead extends HeadFacts {
  method = '';
  target = '';
  versionMinor = 1;
}

/** A parsed response head. One instance is reused per upstream connection. */
export class ResponseHead extends HeadFacts {
  status = 0;
  versionMinor = 1;
}

/**
 * Parses the request line and headers of `s` (a head that ends with CRLF CRLF).
 * Returns null on success or a short reason for the 400.
 */
export function parseRequestHead(s: string, out: RequestHead): string | null {
  out.reset();
  const lineEnd = s.indexOf('\r\n');
  const sp1 = s.indexOf(' ');
  if (sp1 <= 0 || sp1 > lineEnd) return 'malformed request line';
  const sp2 = s.indexOf(' ', sp1 + 1);
  if (sp2 < 0 || sp2 > lineEnd || sp2 === sp1 + 1) return 'malformed request line';
  if (!allIn(TOKEN, s, 0, sp1)) return 'invalid method';
  if (!allIn(TARGET, s, sp1 + 1, sp2)) return 'invalid request target';
  if (lineEnd - sp2 !== 9 || !s.startsWith('HTTP/1.', sp2 + 1)) return 'unsupported HTTP version';
  const minor = s.charCodeAt(sp2 + 8) - 0x30;
  if (minor !== 0 && minor !== 1) return 'unsupported HTTP version';
  out.method = s.slice(0, sp1);
  out.target = s.slice(sp1 + 1, sp2);
  out.versionMinor = minor;
  const err = parseHeaderLines(s, lineEnd + 2, out);
  if (err !== null) return err;
  if (out.hostCount > 1) return 'multiple Host headers';
  if (minor === 1 && out.hostCount === 0) return 'missing Host header';
  if (out.hasTransferEncoding && (out.contentLength >= 0 || minor === 0)) {
    return 'Transfer-Encoding with Content-Length or on HTTP/1.0';
  }
  return null;
}

/** Parses a response head; returns null on success or the reason it is invalid. */
export function parseResponseHead(s: string, out: ResponseHead): string | null {
  out.reset();
  const lineEnd = s.indexOf('\r\n');
  if (lineEnd < 12 || !s.startsWith('HTTP/1.') || s.charCodeAt(8) !== 0x20) return 'malformed status line';
  const minor = s.charCodeAt(7) - 0x30;
  if (minor !== 0 && minor !== 1) return 'unsupported HTTP version';
  let status = 0;
  for (let i = 9; i < 12; i++) {
    const d = s.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return 'malformed status code';
    status = status * 10 + d;
  }
  if (status < 100 || (lineEnd > 12 && s.charCodeAt(12) !== 0x20)) return 'malformed status line';
  if (!allIn(FIELD_VALUE, s, 12, lineEnd)) return 'invalid reason phrase';
  out.status = status;
  out.versionMinor = minor;
  const err = parseHeaderLines(s, lineEnd + 2, out);
  if (err !== null) return err;
  if (out.hasTransferEncoding && out.contentLength >= 0) return 'Transfer-Encoding with Content-Length';
  return null;
}

function parseHeaderLines(s: string, pos: number, out: HeadFacts): string | null {
  const headers = out.headers;
  for (;;) {
    const eol = s.indexOf('\r\n', pos);
    if (eol === pos) {
      if (out.connectionTokens !== null) dropConnectionTokens(out);
      return null;
    }
    if (eol < 0) return 'unterminated header block';
    const first = s.charCodeAt(pos);
    if (first === 0x20 || first === 0x09) return 'obsolete line folding';
    const colon = s.indexOf(':', pos);
    if (colon <= pos || colon > eol) return 'malformed header line';
    if (!allIn(TOKEN, s, pos, colon)) return 'invalid header name';
    let vs = colon + 1;
    let ve = eol;
    while (vs < ve && (s.charCodeAt(vs) === 0x20 || s.charCodeAt(vs) === 0x09)) vs++;
    while (ve > vs && (s.charCodeAt(ve - 1) === 0x20 || s.charCodeAt(ve - 1) === 0x09)) ve--;
    if (!allIn(FIELD_VALUE, s, vs, ve)) return 'invalid header value';
    const name = s.slice(pos, colon).toLowerCase();
    const value = s.slice(vs, ve);
    const err = noteFramingHeader(name, value, out);
    if (err !== null) return err;
    // Hop-by-hop and framing headers are the codec's concern; they never cross the proxy.
    if (!HOP_BY_HOP.has(name)) headers.push(name, value);
    pos = eol + 2;
  }
}

function noteFramingHeader(name: string, value: string, out: HeadFacts): string | null {
  switch (name) {
    case 'content-length':
      return noteContentLength(value, out);
    case 'transfer-encoding': {
      if (out.hasTransferEncoding) return 'multiple Transfer-Encoding headers';
      out.hasTransferEncoding = true;
      const v = value.toLowerCase();
      if (v !== 'chunked')
        return v.endsWith('chunked')
          ? 'unsupported transfer coding'
          : 'chunked must be the final transfer coding';
      out.chunked = true;
      return null;
    }
    case 'connection':
      noteConnection(value.toLowerCase(), out);
      return null;
    case 'host':
      out.hostCount++;
      out.host = value;
      return null;
    case 'upgrade':
      out.upgrade = value;
      return null;
    case 'expect':
      if (value.toLowerCase() === '100-continue') out.expectContinue = true;
      return null;
    case 'te':
      if (listsToken(value.toLowerCase(), 'trailers')) out.teTrailers = true;
      return null;
    default:
      return null;
  }
}

function noteContentLength(value: string, out: HeadFacts): string | null {
  // A list ("5, 5") or repeated header is tolerated only when every value is the same number.
  let start = 0;
  for (;;) {
    const comma = value.indexOf(',', start);
    const part = (comma < 0 ? value.slice(start) : value.slice(start, comma)).trim();
    if (part.length === 0 || part.length > 15) return 'invalid Content-Length';
    for (let i = 0; i < part.length; i++) {
      const c = part.charCodeAt(i);
      if (c < 0x30 || c > 0x39) return 'invalid Content-Length';
    }
    const n = Number(part);
    if (out.contentLength >= 0 && out.contentLength !== n) return 'conflicting Content-Length values';
    out.contentLength = n;
    if (comma < 0) return null;
    start = comma + 1;
  }
}

/** Whether the comma-separated list `v` (lower-case) has `token`, ignoring parameters. */
function listsToken(v: string, token: string): boolean {
  if (v === token) return true;
  for (const raw of v.split(',')) {
    const semi = raw.indexOf(';');
    if ((semi < 0 ? raw : raw.slice(0, semi)).trim() === token) return true;
  }
  return false;
}

function noteConnection(v: string, out: HeadFacts): void {
  if (v === 'keep-alive') {
    out.connectionKeepAlive = true;
    return;
  }
  if (v === 'close') {
    out.connectionClose = true;
    return;
  }
  for (const raw of v.split(',')) {
    const t = raw.trim();
    if (t === 'close') out.connectionClose = true;
    else if (t === 'keep-alive') out.connectionKeepAlive = true;
    else if (t === 'upgrade') out.connectionUpgrade = true;
    else if (t !== '') (out.connectionTokens ??= []).push(t);
  }
}

/** Removes the headers the `Connection` header declared hop-by-hop (rare; off the common path). */
function dropConnectionTokens(out: HeadFacts): void {
  const h = out.headers;
  const names = out.connectionTokens!;
  let w = 0;
  for (let r = 0; r < h.length; r += 2) {
    if (names.includes(h[r])) continue;
    h[w++] = h[r];
    h[w++] = h[r + 1];
  }
  h.length = w;
}
