/**
 * Strict readers for canonical Envoy JSON (snake_case). Every compile step goes through these,
 * so an unknown or mistyped field fails with a {@link ProxyConfigError} naming its path, and
 * nothing is silently ignored.
 */
import { ProxyConfigError } from '../errors.js';

/** A JSON object being compiled, with its path for error messages. */
export type Json = Record<string, unknown>;

/** Asserts `v` is an object whose keys are all in `allowed`; returns it typed. */
export function obj(v: unknown, path: string, allowed: readonly string[]): Json {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    throw new ProxyConfigError(path, 'expected an object');
  }
  for (const k of Object.keys(v)) {
    if (!allowed.includes(k)) throw new ProxyConfigError(`${path}.${k}`, 'unsupported field');
  }
  return v as Json;
}

/** An optional array field (absent → []). */
export function arr(o: Json, key: string, path: string): unknown[] {
  const v = o[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new ProxyConfigError(`${path}.${key}`, 'expected an array');
  return v;
}

/** A required or optional string field. */
export function str(o: Json, key: string, path: string, required: true): string;
export function str(o: Json, key: string, path: string, required?: false): string | undefined;
export function str(o: Json, key: string, path: string, required = false): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) {
    if (required) throw new ProxyConfigError(`${path}.${key}`, 'required field is missing');
    return undefined;
  }
  if (typeof v !== 'string') throw new ProxyConfigError(`${path}.${key}`, 'expected a string');
  return v;
}

/** An optional boolean field (also accepts `{value: bool}` wrappers). */
export function bool(o: Json, key: string, path: string, dflt: boolean): boolean {
  let v = o[key];
  if (v !== null && typeof v === 'object' && 'value' in (v as Json)) v = (v as Json).value;
  if (v === undefined || v === null) return dflt;
  if (typeof v !== 'boolean') throw new ProxyConfigError(`${path}.${key}`, 'expected a boolean');
  return v;
}

/** An optional non-negative integer (also accepts numeric strings and `{value: n}` wrappers, as proto3 JSON does). */
export function uint(o: Json, key: string, path: string, dflt: number): number {
  let v = o[key];
  if (v !== null && typeof v === 'object' && 'value' in (v as Json)) v = (v as Json).value;
  if (v === undefined || v === null) return dflt;
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
    throw new ProxyConfigError(`${path}.${key}`, 'expected a non-negative integer');
  }
  return n;
}

/** An optional number (double). */
export function num(o: Json, key: string, path: string, dflt: number): number {
  let v = o[key];
  if (v !== null && typeof v === 'object' && 'value' in (v as Json)) v = (v as Json).value;
  if (v === undefined || v === null) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new ProxyConfigError(`${path}.${key}`, 'expected a number');
  return v;
}

/**
 * A `google.protobuf.Duration` field in milliseconds: proto3 JSON `"1.5s"`, or
 * `{seconds, nanos}`. Absent → `dflt`.
 */
export function duration(o: Json, key: string, path: string, dflt: number): number {
  const v = o[key];
  if (v === undefined || v === null) return dflt;
  const p = `${path}.${key}`;
  if (typeof v === 'string') {
    const m = /^(\d+)(\.\d{1,9})?s$/.exec(v);
    if (m === null) throw new ProxyConfigError(p, `invalid duration "${v}" (expected e.g. "5s" or "0.25s")`);
    return Number(m[1]) * 1000 + (m[2] ? Math.round(Number(m[2]) * 1000) : 0);
  }
  const d = obj(v, p, ['seconds', 'nanos']);
  return uint(d, 'seconds', p, 0) * 1000 + Math.round(uint(d, 'nanos', p, 0) / 1e6);
}

/** Fails with a clear error when a field is present that this subset cannot honour. */
export function reject(path: string, why: string): never {
  throw new ProxyConfigError(path, why);
}
