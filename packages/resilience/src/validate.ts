import { ConfigError } from './errors.js';

/**
 * Config checks shared by every policy. Each names the field's full path, so an error from a
 * registry built from YAML points at the offending key.
 */
export function checkNumber(
  path: string,
  value: unknown,
  range: { min?: number; max?: number; minExclusive?: boolean; integer?: boolean; allowInfinity?: boolean },
): number {
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw new ConfigError(path, `must be a number, got ${describe(value)}`);
  }
  if (!Number.isFinite(value) && !(range.allowInfinity && value === Infinity)) {
    throw new ConfigError(path, `must be finite, got ${value}`);
  }
  if (range.integer && Number.isFinite(value) && !Number.isInteger(value)) {
    throw new ConfigError(path, `must be an integer, got ${value}`);
  }
  if (range.min !== undefined) {
    if (range.minExclusive ? value <= range.min : value < range.min) {
      throw new ConfigError(path, `must be ${range.minExclusive ? '>' : '>='} ${range.min}, got ${value}`);
    }
  }
  if (range.max !== undefined && value > range.max) {
    throw new ConfigError(path, `must be <= ${range.max}, got ${value}`);
  }
  return value;
}

/** A boolean field. */
export function checkBoolean(path: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new ConfigError(path, `must be a boolean, got ${describe(value)}`);
  return value;
}

/** One of a fixed set of strings. */
export function checkEnum<T extends string>(path: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !allowed.includes(value as T)) {
    throw new ConfigError(path, `must be one of ${allowed.join(', ')}, got ${describe(value)}`);
  }
  return value as T;
}

/** A function field. */
export function checkFunction<F>(path: string, value: unknown): F {
  if (typeof value !== 'function') throw new ConfigError(path, `must be a function, got ${describe(value)}`);
  return value as F;
}

/** Rejects keys the policy does not know, so a typo in YAML is an error instead of a silent default. */
export function checkKnownKeys(path: string, config: object, known: readonly string[]): void {
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    throw new ConfigError(path, `must be an object, got ${describe(config)}`);
  }
  for (const key of Object.keys(config)) {
    if (!known.includes(key)) {
      throw new ConfigError(path ? `${path}.${key}` : key, `unknown setting (known: ${known.join(', ')})`);
    }
  }
}

/** Joins a config path and a key. */
export function at(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'object') return 'an object';
  return String(value);
}

/** Drops keys whose value is undefined so they do not override defaults. */
export function stripUndefined<T extends object>(config: T): Partial<T> {
  const out: Partial<T> = {};
  for (const key of Object.keys(config) as (keyof T)[]) if (config[key] !== undefined) out[key] = config[key];
  return out;
}

/**
 * Rejects a non-function task before a policy runs it, so caller misuse is a TypeError and not
 * a downstream failure a breaker records or a retry retries.
 */
export function checkTask(fn: unknown): void {
  if (typeof fn !== 'function') throw taskTypeError(fn);
}

/** The TypeError for a non-function task (for policies that reject instead of throwing). */
export function taskTypeError(fn: unknown): TypeError {
  return new TypeError(`execute(fn): fn must be a function, got ${describe(fn)}`);
}
