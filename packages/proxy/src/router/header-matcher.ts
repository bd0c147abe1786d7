/**
 * Envoy `config.route.v3.HeaderMatcher` and `QueryParameterMatcher`, compiled once.
 * Pseudo-headers (`:method`, `:authority`, `:path`, `:scheme`) match like headers, which is how
 * Envoy (and Istio's `method` match) express method matching.
 */
import { ProxyConfigError } from '../errors.js';
import { bool, type Json, obj, str } from '../xds/fields.js';
import { headerValue, queryParam, type RouteRequest } from './route-request.js';
import { compileSafeRegex, compileStringMatcher, matchString, type StringMatcher } from './string-matcher.js';

/** A compiled header matcher. */
export interface HeaderMatcher {
  readonly name: string;
  /** null → presence match. */
  readonly matcher: StringMatcher | null;
  readonly present: boolean;
  readonly invert: boolean;
}

const HEADER_FIELDS = [
  'name',
  'exact_match',
  'prefix_match',
  'suffix_match',
  'contains_match',
  'safe_regex_match',
  'present_match',
  'string_match',
  'invert_match',
];

/** Compiles one HeaderMatcher. */
export function compileHeaderMatcher(v: unknown, path: string): HeaderMatcher {
  const o = obj(v, path, HEADER_FIELDS);
  const name = str(o, 'name', path, true).toLowerCase();
  const invert = bool(o, 'invert_match', path, false);
  let matcher: StringMatcher | null = null;
  if (o.string_match !== undefined) matcher = compileStringMatcher(o.string_match, `${path}.string_match`);
  else if (o.exact_match !== undefined) matcher = legacy('exact', o, 'exact_match', path);
  else if (o.prefix_match !== undefined) matcher = legacy('prefix', o, 'prefix_match', path);
  else if (o.suffix_match !== undefined) matcher = legacy('suffix', o, 'suffix_match', path);
  else if (o.contains_match !== undefined) matcher = legacy('contains', o, 'contains_match', path);
  else if (o.safe_regex_match !== undefined) {
    matcher = {
      kind: 'regex',
      value: '',
      ignoreCase: false,
      re: compileSafeRegex(o.safe_regex_match, `${path}.safe_regex_match`),
    };
  }
  const present = o.present_match === undefined ? true : bool(o, 'present_match', path, true);
  return { name, matcher, present, invert };
}

function legacy(kind: StringMatcher['kind'], o: Json, key: string, path: string): StringMatcher {
  return { kind, value: str(o, key, path, true), ignoreCase: false, re: null };
}

/** Applies a header matcher to a request. */
export function matchHeader(m: HeaderMatcher, req: RouteRequest): boolean {
  const v = headerValue(req, m.name);
  let ok: boolean;
  if (m.matcher === null) ok = (v !== undefined) === m.present;
  else ok = v !== undefined && matchString(m.matcher, v);
  return ok !== m.invert;
}

/** A compiled query parameter matcher. */
export interface QueryMatcher {
  readonly name: string;
  readonly matcher: StringMatcher | null;
}

/** Compiles a QueryParameterMatcher (`string_match` or `present_match`). */
export function compileQueryMatcher(v: unknown, path: string): QueryMatcher {
  const o = obj(v, path, ['name', 'string_match', 'present_match']);
  const name = str(o, 'name', path, true);
  if (o.string_match !== undefined)
    return { name, matcher: compileStringMatcher(o.string_match, `${path}.string_match`) };
  if (o.present_match !== true)
    throw new ProxyConfigError(path, 'one of string_match or present_match: true is required');
  return { name, matcher: null };
}

/** Applies a query parameter matcher. */
export function matchQuery(m: QueryMatcher, req: RouteRequest): boolean {
  const v = queryParam(req.query, m.name);
  if (v === undefined) return false;
  return m.matcher === null || matchString(m.matcher, v);
}
