import { ConfigError } from './errors.js';

/**
 * How a config names errors: an error class (matched with `instanceof`, so subclasses match too,
 * as Resilience4j's `recordExceptions(Class...)` does) or a string matched against the error's
 * `code` (e.g. `ECONNRESET`, `MESH_ERR_TIMEOUT`) or its `name` (e.g. `TypeError`). Strings let
 * YAML configure these lists.
 */
export type ErrorMatcher = string | (abstract new (...args: any[]) => unknown);

/** A predicate over thrown values. */
export type ErrorPredicate = (error: unknown) => boolean;

/** Compiles a list of matchers into one predicate (undefined for an absent or empty list). */
export function compileErrorList(
  path: string,
  list: readonly ErrorMatcher[] | undefined,
): ErrorPredicate | undefined {
  if (list === undefined) return undefined;
  if (!Array.isArray(list))
    throw new ConfigError(path, 'must be an array of error classes or error codes/names');
  if (list.length === 0) return undefined;
  const names = new Set<string>();
  const classes: (abstract new (...args: any[]) => unknown)[] = [];
  list.forEach((entry, i) => {
    if (typeof entry === 'string' && entry.length > 0) names.add(entry);
    else if (typeof entry === 'function') classes.push(entry);
    else throw new ConfigError(`${path}[${i}]`, 'must be an error class or a non-empty error code/name');
  });
  return (error) => {
    if (error !== null && typeof error === 'object') {
      const code = (error as { code?: unknown }).code;
      if (typeof code === 'string' && names.has(code)) return true;
      const name = (error as { name?: unknown }).name;
      if (typeof name === 'string' && names.has(name)) return true;
    }
    for (const cls of classes) if (error instanceof cls) return true;
    return false;
  };
}

/** `a OR b`, where an undefined side is absent; undefined when both are absent. */
export function either(
  a: ErrorPredicate | undefined,
  b: ErrorPredicate | undefined,
): ErrorPredicate | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return (error) => a(error) || b(error);
}

/** Always true. */
export const ANY_ERROR: ErrorPredicate = () => true;
/** Always false. */
export const NO_ERROR: ErrorPredicate = () => false;
