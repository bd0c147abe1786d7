/** The request as the router sees it: canonical path, query apart, headers flat. */
export interface RouteRequest {
  readonly method: string;
  /** Canonical path without the query (after normalisation). */
  readonly path: string;
  /** Raw query without the leading '?', '' when none. */
  readonly query: string;
  readonly authority: string;
  readonly scheme: string;
  /** Flat `[name, value, …]`, lower-case names. */
  readonly headers: string[];
  readonly remoteAddress: string;
}

/**
 * Value of header `name` (lower-case), pseudo-headers included; several values are joined by
 * ',' as Envoy does for matching. Undefined when absent.
 */
export function headerValue(req: RouteRequest, name: string): string | undefined {
  if (name.charCodeAt(0) === 0x3a) {
    switch (name) {
      case ':method':
        return req.method;
      case ':authority':
        return req.authority;
      case ':path':
        return req.query === '' ? req.path : req.path + '?' + req.query;
      case ':scheme':
        return req.scheme;
      default:
        return undefined;
    }
  }
  if (name === 'host') return req.authority;
  const h = req.headers;
  let out: string | undefined;
  for (let i = 0; i < h.length; i += 2) {
    if (h[i] === name) out = out === undefined ? h[i + 1] : out + ',' + h[i + 1];
  }
  return out;
}

/** Value of query parameter `name` (decoded), '' when present without a value, undefined when absent. */
export function queryParam(query: string, name: string): string | undefined {
  if (query === '') return undefined;
  let start = 0;
  while (start <= query.length) {
    let end = query.indexOf('&', start);
    if (end < 0) end = query.length;
    const eq = query.indexOf('=', start);
    const keyEnd = eq >= 0 && eq < end ? eq : end;
    if (safeDecode(query.slice(start, keyEnd)) === name) {
      return keyEnd === end ? '' : safeDecode(query.slice(keyEnd + 1, end));
    }
    start = end + 1;
  }
  return undefined;
}

function safeDecode(s: string): string {
  if (s.indexOf('%') < 0 && s.indexOf('+') < 0) return s;
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}
