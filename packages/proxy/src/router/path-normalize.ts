/**
 * Request-path normalisation, run once before route matching so that one canonical path is used
 * for routing, policy and the upstream request (Envoy HCM `normalize_path`, `merge_slashes`,
 * `path_with_escaped_slashes_action`). Without it `/admin` could be reached as `/x/../admin`,
 * `/%61dmin` or `//admin` past a route that guards `/admin`.
 */

/** What to do with `%2F` / `%5C` in a path (Envoy's `PathWithEscapedSlashesAction`). */
export type EscapedSlashesAction = 'KEEP_UNCHANGED' | 'REJECT_REQUEST' | 'UNESCAPE_AND_FORWARD';

/** Compiled normalisation options. */
export interface PathNormalization {
  normalizePath: boolean;
  mergeSlashes: boolean;
  escapedSlashes: EscapedSlashesAction;
}

const UNRESERVED = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  UNRESERVED[c] = /[A-Za-z0-9\-._~]/.test(ch) ? 1 : 0;
}

/**
 * Returns the canonical form of `path` (no query), or null when the request must be rejected
 * (fragment in the target, malformed percent-encoding, escaped slashes under REJECT_REQUEST).
 */
export function normalizePath(path: string, opts: PathNormalization): string | null {
  if (path.indexOf('#') >= 0) return null;
  let p = path;
  if (p.indexOf('%') >= 0) {
    const decoded = decodeUnreserved(p, opts.escapedSlashes);
    if (decoded === null) return null;
    p = decoded;
  }
  if (opts.mergeSlashes && p.indexOf('//') >= 0) p = p.replace(/\/{2,}/g, '/');
  if (opts.normalizePath && (p.indexOf('/.') >= 0 || p.indexOf('\\') >= 0))
    p = removeDotSegments(p.replace(/\\/g, '/'));
  return p;
}

function hex(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/** Decodes %XX of unreserved characters, upper-cases the rest; handles %2F/%5C per `action`. */
function decodeUnreserved(p: string, action: EscapedSlashesAction): string | null {
  let out = '';
  let last = 0;
  for (let i = p.indexOf('%'); i >= 0; i = p.indexOf('%', i + 1)) {
    const h1 = hex(p.charCodeAt(i + 1));
    const h2 = hex(p.charCodeAt(i + 2));
    if (h1 < 0 || h2 < 0) return null;
    const code = h1 * 16 + h2;
    let rep: string;
    if (code === 0x2f || code === 0x5c) {
      if (action === 'REJECT_REQUEST') return null;
      rep = action === 'UNESCAPE_AND_FORWARD' ? String.fromCharCode(code) : p.slice(i, i + 3).toUpperCase();
    } else if (code < 128 && UNRESERVED[code] === 1) {
      rep = String.fromCharCode(code);
    } else {
      rep = p.slice(i, i + 3).toUpperCase();
    }
    out += p.slice(last, i) + rep;
    last = i + 3;
    i += 2;
  }
  return out + p.slice(last);
}

/** RFC 3986 §5.2.4 remove_dot_segments; the result always starts with '/'. */
export function removeDotSegments(p: string): string {
  const segs = p.split('/');
  const out: string[] = [];
  for (let i = 1; i < segs.length; i++) {
    const s = segs[i];
    if (s === '.') {
      if (i === segs.length - 1) out.push('');
    } else if (s === '..') {
      out.pop();
      if (i === segs.length - 1) out.push('');
    } else out.push(s);
  }
  return '/' + out.join('/');
}
