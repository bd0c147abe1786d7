/**
 * Readers for Envoy v3 resources in canonical proto3 JSON (snake_case names, durations as
 * `"0.25s"`, wrappers as plain numbers, Any as `{ "@type": ... }`). Each reader names the exact
 * field path in its error, so a bad push says what is wrong and where.
 */
import { ProxyConfigError } from '../errors.js';

/** An Envoy resource in canonical JSON form. */
export type EnvoyJson = Record<string, unknown>;

/** Joins a field path: `at('clusters[0]', 'lb_policy')` → `clusters[0].lb_policy`. */
export function at(path: string, key: string | number): string {
  return typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key;
}

/** Asserts a JSON object (not null, not an array). */
export function readObject(path: string, value: unknown): EnvoyJson {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ProxyConfigError(path, `expected an object, got ${describe(value)}`);
  }
  return value as EnvoyJson;
}

/** Rejects any field not in `allowed`, naming the first offender. */
export function onlyFields(path: string, obj: EnvoyJson, allowed: ReadonlySet<string>): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.has(key)) throw new ProxyConfigError(at(path, key), 'unsupported field');
  }
}

/** Reads an object and checks its fields in one step. */
export function readMessage(path: string, value: unknown, allowed: ReadonlySet<string>): EnvoyJson {
  const obj = readObject(path, value);
  onlyFields(path, obj, allowed);
  return obj;
}

/** Reads an array (absent → empty). */
export function readArray(path: string, value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new ProxyConfigError(path, `expected an array, got ${describe(value)}`);
  return value;
}

/** Reads a string; `undefined` when absent. */
export function readString(path: string, value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string')
    throw new ProxyConfigError(path, `expected a string, got ${describe(value)}`);
  return value;
}

/** Reads a non-empty string that must be present. */
export function requireString(path: string, value: unknown): string {
  const s = readString(path, value);
  if (s === undefined || s === '') throw new ProxyConfigError(path, 'is required');
  return s;
}

/** Reads a boolean (also `BoolValue` as `{ value }`); `fallback` when absent. */
export function readBool(path: string, value: unknown, fallback: boolean): boolean {
  const v = unwrap(value);
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'boolean') throw new ProxyConfigError(path, `expected a boolean, got ${describe(v)}`);
  return v;
}

/**
 * Reads an unsigned integer (uint32/uint64 or a wrapper; proto3 JSON writes 64-bit ints as strings).
 * `fallback` when absent.
 */
export function readUint(path: string, value: unknown, fallback: number, max = 0xffffffff): number {
  let v = unwrap(value);
  if (v === undefined || v === null) return fallback;
  if (typeof v === 'string' && /^\d+$/.test(v)) v = Number(v);
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) {
    throw new ProxyConfigError(path, `expected an integer between 0 and ${max}, got ${describe(v)}`);
  }
  return v;
}

/** Reads a number (double); `fallback` when absent. */
export function readNumber(path: string, value: unknown, fallback: number): number {
  const v = unwrap(value);
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new ProxyConfigError(path, `expected a number, got ${describe(v)}`);
  }
  return v;
}

const DURATION = /^(-?)(\d+)(?:\.(\d{1,9}))?s$/;

/** Reads a `google.protobuf.Duration` (`"1.5s"` or `{ seconds, nanos }`) as milliseconds. */
export function readDurationMs(path: string, value: unknown, fallbackMs: number): number {
  if (value === undefined || value === null) return fallbackMs;
  let ms: number;
  if (typeof value === 'string') {
    const m = DURATION.exec(value);
    if (!m)
      throw new ProxyConfigError(path, `invalid duration ${JSON.stringify(value)} (expected e.g. "0.25s")`);
    ms = Number(m[2]) * 1000 + Number(`0.${m[3] ?? '0'}`) * 1000;
    if (m[1]) ms = -ms;
  } else if (typeof value === 'object' && !Array.isArray(value)) {
    const o = readMessage(path, value, DURATION_FIELDS);
    ms = readNumber(at(path, 'seconds'), Number(o.seconds ?? 0), 0) * 1000;
    ms += readNumber(at(path, 'nanos'), o.nanos, 0) / 1e6;
  } else {
    throw new ProxyConfigError(path, `invalid duration ${describe(value)} (expected e.g. "0.25s")`);
  }
  if (ms < 0) throw new ProxyConfigError(path, 'duration must not be negative');
  return ms;
}
const DURATION_FIELDS = new Set(['seconds', 'nanos']);

/** Reads an enum by name (proto3 JSON also allows the number, resolved through `names` order). */
export function readEnum<T extends string>(
  path: string,
  value: unknown,
  names: readonly T[],
  fallback: T,
): T {
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value < names.length) {
    return names[value];
  }
  if (typeof value === 'string' && (names as readonly string[]).includes(value)) return value as T;
  throw new ProxyConfigError(path, `unsupported value ${JSON.stringify(value)}`);
}

/** Reads an `envoy.type.v3.Percent` (`{ value: 0..100 }`) or a bare number. */
export function readPercent(path: string, value: unknown, fallback: number): number {
  if (value === undefined || value === null) return fallback;
  const raw = typeof value === 'object' ? readMessage(path, value, VALUE_FIELD).value : value;
  const v = readNumber(at(path, 'value'), raw, fallback);
  if (v < 0 || v > 100) throw new ProxyConfigError(path, `percent must be between 0 and 100, got ${v}`);
  return v;
}
const VALUE_FIELD = new Set(['value']);

function unwrap(value: unknown): unknown {
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && 'value' in value) {
    return (value as { value: unknown }).value;
  }
  return value;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return JSON.stringify(value) ?? typeof value;
}
