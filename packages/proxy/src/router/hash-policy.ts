/**
 * Envoy's route `hash_policy` (header, cookie, source IP, query parameter), compiled once; the
 * router turns it into `LbContext.hash` for ring-hash and Maglev clusters.
 */
import { ProxyConfigError } from '../errors.js';
import { bool, obj, str } from '../xds/fields.js';
import { headerValue, queryParam, type RouteRequest } from './route-request.js';

/** One compiled hash policy entry. */
export interface HashPolicy {
  readonly kind: 'header' | 'cookie' | 'source_ip' | 'query_parameter';
  readonly name: string;
  readonly terminal: boolean;
}

/** Compiles one `hash_policy` entry. */
export function compileHashPolicy(v: unknown, path: string): HashPolicy {
  const o = obj(v, path, ['header', 'cookie', 'connection_properties', 'query_parameter', 'terminal']);
  const terminal = bool(o, 'terminal', path, false);
  if (o.header !== undefined) {
    const h = obj(o.header, `${path}.header`, ['header_name']);
    return { kind: 'header', name: str(h, 'header_name', `${path}.header`, true).toLowerCase(), terminal };
  }
  if (o.cookie !== undefined) {
    const c = obj(o.cookie, `${path}.cookie`, ['name', 'path', 'ttl']);
    if (c.ttl !== undefined)
      throw new ProxyConfigError(`${path}.cookie.ttl`, 'generated cookies are not supported');
    return { kind: 'cookie', name: str(c, 'name', `${path}.cookie`, true), terminal };
  }
  if (o.connection_properties !== undefined) {
    const c = obj(o.connection_properties, `${path}.connection_properties`, ['source_ip']);
    if (c.source_ip !== true)
      throw new ProxyConfigError(`${path}.connection_properties.source_ip`, 'must be true');
    return { kind: 'source_ip', name: '', terminal };
  }
  if (o.query_parameter !== undefined) {
    const q = obj(o.query_parameter, `${path}.query_parameter`, ['name']);
    return { kind: 'query_parameter', name: str(q, 'name', `${path}.query_parameter`, true), terminal };
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
    default:
      return cookieValue(headerValue(req, 'cookie'), p.name);
  }
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(/[;,]/)) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
