/**
 * Conversions between node:http2 header objects and the engine's flat header arrays. Pseudo
 * headers and connection-specific headers (forbidden in HTTP/2) never cross; `te: trailers`
 * does, because gRPC needs it end to end.
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http2';
import { HOP_BY_HOP } from './head-parser.js';

/** Flat end-to-end headers from an HTTP/2 header object (pseudo-headers dropped). */
export function fromH2Headers(h: IncomingHttpHeaders): string[] {
  const out: string[] = [];
  for (const name in h) {
    if (name.charCodeAt(0) === 0x3a) continue;
    const v = h[name];
    if (v === undefined) continue;
    if (HOP_BY_HOP.has(name)) {
      if (name === 'te' && v === 'trailers') out.push(name, v);
      continue;
    }
    if (Array.isArray(v)) for (const x of v) out.push(name, x);
    else out.push(name, String(v));
  }
  return out;
}

/** Adds flat headers to an HTTP/2 header object (repeated names become arrays). */
export function toH2Headers(flat: readonly string[], into: OutgoingHttpHeaders): OutgoingHttpHeaders {
  for (let i = 0; i < flat.length; i += 2) {
    const name = flat[i];
    if (
      name === 'connection' ||
      name === 'keep-alive' ||
      name === 'transfer-encoding' ||
      name === 'upgrade' ||
      name === 'host'
    )
      continue;
    const prev = into[name];
    if (prev === undefined) into[name] = flat[i + 1];
    else if (Array.isArray(prev)) prev.push(flat[i + 1]);
    else into[name] = [String(prev), flat[i + 1]];
  }
  return into;
}
