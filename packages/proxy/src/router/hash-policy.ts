/**
 * Envoy's route `hash_policy` (header, cookie, source IP, query parameter), compiled once; the
 * router turns it into `LbContext.hash` for ring-hash and Maglev clusters. A cookie policy with a
 * `ttl` generates the cookie when the request has none (Istio's `httpCookie` with `ttl`): the value
 * is derived from the client address, hashed like a received cookie, and the response sets it so
 * the client's next requests stick to the same host.
 */
import { ProxyConfigError } from '../errors.js';
import { bool, duration, obj, str } from '../xds/fields.js';
import { headerValue, queryParam, type RouteRequest } from './route-request.js';

/** One compiled hash policy entry. */
export interface HashPolicy {
  readonly kind: 'header' | 'cookie' | 'source_ip' | 'query_parameter';
  readonly name: string;
  readonly terminal: boolean;
  /** Cookie policies with a `ttl`: the `set-cookie` attributes after the value; else null. */
  readonly generate: string | null;
}

/** Compiles one `hash_policy` entry. */
export function compileHashPolicy(v: unknown, path: string): HashPolicy {
  const o = obj(v, path, ['header', 'cookie', 'connection_properties', 'query_parameter', 'terminal']);
  const terminal = bool(o, 'terminal', path, false);
  if (o.header !== undefined) {
    const h = obj(o.header, `${path}.header`, ['header_name']);
    const name = str(h, 'header_name', `${path}.header`, true).toLowerCase();
    return { kind: 'header', name, terminal, generate: null };
  }
  if (o.cookie !== undefined) {
    const cp = `${path}.cookie`;
    const c = obj(o.cookie, cp, ['name', 'path', 'ttl']);
    const name = str(c, 'name', cp, true);
    if (c.ttl === undefined) return { kind: 'cookie', name, terminal, generate: null };
    // Envoy's attributes: Max-Age unless the ttl is 0 (a session cookie), Path when given, HttpOnly.
    const ttlSeconds = Math.floor(duration(c, 'ttl', cp, 0) / 1000);
    const cookiePath = str(c, 'path', cp);
    const generate = `${ttlSeconds > 0 ? `; Max-Age=${ttlSeconds}` : ''}${cookiePath ? `; Path=${cookiePath}` : ''}; HttpOnly`;
    return { kind: 'cookie', name, terminal, generate };
  }
  if (o.connection_properties !== undefined) {
    const c = obj(o.connection_properties, `${path}.connection_properties`, ['source_ip']);
    if (c.source_ip !== true)
      throw new ProxyConfigError(`${path}.connection_properties.source_ip`, 'must be true');
    return { kind: 'source_ip', name: '', terminal, generate: null };
  }
  if (o.query_parameter !== undefined) {
    const q = obj(o.query_parameter, `${path}.query_parameter`, ['name']);
    const name = str(q, 'name', `${path}.query_parameter`, true);
    return { kind: 'query_parameter', name, terminal, generate: null };
  }
  throw new ProxyConfigError(
    path,
    'one of header, cookie, connection_properties or query_parameter is required',
  );
}

/** FNV-1a, 32-bit: cheap and stable across processes, which consistent hashing needs. */
export function fnv1a(s: string, seed = 0x811c9dc5): number {
  let h = seed;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The request hash under `policies`, or undefined when no policy produced a value. */
export function computeHash(policies: readonly HashPolicy[], req: RouteRequest): number | undefined {
  let hash: number | undefined;
  for (const p of policies) {
    const v = valueFor(p, req);
    if (v === undefined) continue;
    // Envoy combines several policies by rotating and xoring their hashes.
    hash = hash === undefined ? fnv1a(v) : (((hash << 1) | (hash >>> 31)) ^ fnv1a(v)) >>> 0;
    if (p.terminal) break;
  }
  return hash;
}

function valueFor(p: HashPolicy, req: RouteRequest): string | undefined {
  switch (p.kind) {
    case 'header':
      return headerValue(req, p.name);
    case 'source_ip':
      return req.remoteAddress || undefined;
    case 'query_parameter':
      return queryParam(req.query, p.name);
    default: {
      const v = cookieValue(headerValue(req, 'cookie'), p.name);
      return v === undefined && p.generate !== null ? generatedValue(req) : v;
    }
  }
}

/** The value a generated cookie gets: stable per client address, so racing requests agree. */
function generatedValue(req: RouteRequest): string {
  return fnv1a(req.remoteAddress).toString(16).padStart(8, '0');
}

/**
 * The `set-cookie` value to add to the response when a cookie policy with a `ttl` found no cookie
 * on the request (the value the request was hashed with), or undefined.
 */
export function generatedCookie(policies: readonly HashPolicy[], req: RouteRequest): string | undefined {
  for (const p of policies) {
    if (p.generate === null) continue;
    if (cookieValue(headerValue(req, 'cookie'), p.name) !== undefined) continue;
    return `${p.name}="${generatedValue(req)}"${p.generate}`;
  }
  return undefined;
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(/[;,]/)) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return unquote(part.slice(eq + 1).trim());
  }
  return undefined;
}

/** Cookie values may be quoted (RFC 6265 `cookie-value`); the quotes are not part of the value. */
function unquote(v: string): string {
  return v.length >= 2 && v.charCodeAt(0) === 34 && v.charCodeAt(v.length - 1) === 34 ? v.slice(1, -1) : v;
}
