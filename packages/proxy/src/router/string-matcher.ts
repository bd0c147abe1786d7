/**
 * Envoy's `type.matcher.v3.StringMatcher` compiled once: exact / prefix / suffix / contains /
 * safe_regex (RE2 syntax, compiled here to a JS RegExp anchored to the whole string), with
 * `ignore_case`.
 */
import { ProxyConfigError } from '../errors.js';
import { type Json, obj, str } from '../xds/fields.js';

/** A compiled string matcher. */
export interface StringMatcher {
  readonly kind: 'exact' | 'prefix' | 'suffix' | 'contains' | 'regex';
  readonly value: string;
  readonly ignoreCase: boolean;
  readonly re: RegExp | null;
}

/** Compiles `{ regex }` (Envoy `RegexMatcher`) to a whole-string RegExp. */
export function compileSafeRegex(v: unknown, path: string): RegExp {
  const o = obj(v, path, ['regex', 'google_re2']);
  const src = str(o, 'regex', path, true);
  try {
    return new RegExp(`^(?:${src})$`, 'u');
  } catch (err) {
    throw new ProxyConfigError(`${path}.regex`, `invalid regex: ${(err as Error).message}`, { cause: err });
  }
}

/** Compiles a StringMatcher object. */
export function compileStringMatcher(v: unknown, path: string): StringMatcher {
  const o = obj(v, path, ['exact', 'prefix', 'suffix', 'contains', 'safe_regex', 'ignore_case']);
  const ignoreCase = o.ignore_case === true;
  const kinds = ['exact', 'prefix', 'suffix', 'contains', 'safe_regex'].filter((k) => o[k] !== undefined);
  if (kinds.length !== 1)
    throw new ProxyConfigError(path, 'exactly one of exact/prefix/suffix/contains/safe_regex is required');
  const k = kinds[0];
  if (k === 'safe_regex')
    return { kind: 'regex', value: '', ignoreCase: false, re: compileSafeRegex(o[k], `${path}.safe_regex`) };
  const value = str(o as Json, k, path, true);
  return {
    kind: k as StringMatcher['kind'],
    value: ignoreCase ? value.toLowerCase() : value,
    ignoreCase,
    re: null,
  };
}

/** Applies a compiled matcher. */
export function matchString(m: StringMatcher, s: string): boolean {
  if (m.re !== null) return m.re.test(s);
  const v = m.ignoreCase ? s.toLowerCase() : s;
  switch (m.kind) {
    case 'exact':
      return v === m.value;
    case 'prefix':
      return v.startsWith(m.value);
    case 'suffix':
      return v.endsWith(m.value);
    default:
      return v.includes(m.value);
  }
}
