/**
 * Envoy `config.core.v3.DataSource`: certificate and key material given as `filename`,
 * `inline_string` or `inline_bytes` (base64). Files are read once, when the config compiles, so a
 * missing or unreadable file fails the update with its path instead of failing handshakes later.
 */
import { readFileSync } from 'node:fs';
import { ProxyConfigError } from '../errors.js';
import { type Json, obj } from '../xds/fields.js';

const FIELDS = ['filename', 'inline_string', 'inline_bytes', 'environment_variable'];

/** Reads a DataSource at `path`; exactly one specifier must be set. */
export function readDataSource(v: unknown, path: string): Buffer {
  const o: Json = obj(v, path, FIELDS);
  const set = FIELDS.filter((k) => o[k] !== undefined && o[k] !== null);
  if (set.length !== 1) {
    throw new ProxyConfigError(
      path,
      'exactly one of filename, inline_string, inline_bytes, environment_variable is required',
    );
  }
  const key = set[0] as string;
  const value = o[key];
  if (typeof value !== 'string') throw new ProxyConfigError(`${path}.${key}`, 'expected a string');
  if (key === 'inline_string') return Buffer.from(value, 'utf8');
  if (key === 'inline_bytes') return Buffer.from(value, 'base64');
  if (key === 'environment_variable') {
    const env = process.env[value];
    if (env === undefined)
      throw new ProxyConfigError(`${path}.${key}`, `environment variable ${value} is not set`);
    return Buffer.from(env, 'utf8');
  }
  try {
    return readFileSync(value);
  } catch (err) {
    throw new ProxyConfigError(`${path}.filename`, `cannot read ${value}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}
