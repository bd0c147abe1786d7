/** Envoy `RedirectAction` and `DirectResponseAction`: responses the router answers itself. */
import { ProxyConfigError } from '../errors.js';
import { bool, obj, str, uint } from '../xds/fields.js';

/** A compiled redirect. */
export interface Redirect {
  readonly scheme: string | null;
  readonly host: string | null;
  readonly port: number;
  readonly path: string | null;
  readonly prefixRewrite: string | null;
  readonly status: number;
  readonly stripQuery: boolean;
}

const CODES: Readonly<Record<string, number>> = {
  MOVED_PERMANENTLY: 301,
  FOUND: 302,
  SEE_OTHER: 303,
  TEMPORARY_REDIRECT: 307,
  PERMANENT_REDIRECT: 308,
};

/** Compiles a RedirectAction. */
export function compileRedirect(v: unknown, path: string): Redirect {
  const o = obj(v, path, [
    'https_redirect',
    'scheme_redirect',
    'host_redirect',
    'port_redirect',
    'path_redirect',
    'prefix_rewrite',
    'response_code',
    'strip_query',
  ]);
  const code = str(o, 'response_code', path) ?? 'MOVED_PERMANENTLY';
  const status = CODES[code];
  if (status === undefined)
    throw new ProxyConfigError(`${path}.response_code`, `unknown response code "${code}"`);
  return {
    scheme: bool(o, 'https_redirect', path, false) ? 'https' : (str(o, 'scheme_redirect', path) ?? null),
    host: str(o, 'host_redirect', path) ?? null,
    port: uint(o, 'port_redirect', path, 0),
    path: str(o, 'path_redirect', path) ?? null,
    prefixRewrite: str(o, 'prefix_rewrite', path) ?? null,
    status,
    stripQuery: bool(o, 'strip_query', path, false),
  };
}

/** A compiled direct response. */
export interface DirectResponse {
  readonly status: number;
  readonly body: Buffer | null;
}

/** Compiles a DirectResponseAction. */
export function compileDirectResponse(v: unknown, path: string): DirectResponse {
  const o = obj(v, path, ['status', 'body']);
  const status = uint(o, 'status', path, 0);
  if (status < 200 || status > 599)
    throw new ProxyConfigError(`${path}.status`, 'must be an HTTP status in [200, 599]');
  let body: Buffer | null = null;
  if (o.body !== undefined) {
    const b = obj(o.body, `${path}.body`, ['inline_string', 'inline_bytes', 'filename']);
    if (b.filename !== undefined) throw new ProxyConfigError(`${path}.body.filename`, 'unsupported field');
    const s = str(b, 'inline_string', `${path}.body`);
    const bytes = str(b, 'inline_bytes', `${path}.body`);
    body = s !== undefined ? Buffer.from(s) : bytes !== undefined ? Buffer.from(bytes, 'base64') : null;
  }
  return { status, body };
}

/** The Location of a redirect for a request (canonical path, query, scheme, authority). */
export function redirectLocation(
  r: Redirect,
  scheme: string,
  authority: string,
  path: string,
  query: string,
  matchedPrefix: string,
): string {
  const s = r.scheme ?? scheme;
  let host = r.host ?? authority;
  if (r.port > 0) host = host.replace(/:\d+$/, '') + ':' + r.port;
  else if (r.scheme !== null && r.host === null) host = host.replace(/:\d+$/, '');
  let p = path;
  let q = query;
  if (r.path !== null) {
    const qi = r.path.indexOf('?');
    p = qi >= 0 ? r.path.slice(0, qi) : r.path;
    if (qi >= 0) q = r.path.slice(qi + 1);
  } else if (r.prefixRewrite !== null) p = r.prefixRewrite + path.slice(matchedPrefix.length);
  if (r.stripQuery) q = '';
  return `${s}://${host}${p}${q === '' ? '' : '?' + q}`;
}
