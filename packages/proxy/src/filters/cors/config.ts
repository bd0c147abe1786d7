/**
 * `envoy.extensions.filters.http.cors.v3.CorsPolicy`, compiled. Every field but the two enable
 * fractions may be left unset, so that a route's policy can fall back to its virtual host's and
 * route configuration's field by field, as Envoy merges them.
 */
import { compileStringMatcher, type StringMatcher } from '../../router/string-matcher.js';
import { arr, bool, type Json, obj, str } from '../../xds/fields.js';
import { runtimeFraction } from '../../xds/percent.js';

/** A compiled CORS policy; `null` / empty means "not set here". */
export interface CorsPolicy {
  /** `allow_origin_string_match`; empty = unset. */
  readonly allowOrigins: readonly StringMatcher[];
  /** `allow_methods` as configured (`*` echoes `access-control-request-method`); '' = unset. */
  readonly allowMethods: string;
  /** `allow_headers` (`*` echoes `access-control-request-headers`); '' = unset. */
  readonly allowHeaders: string;
  readonly exposeHeaders: string;
  readonly maxAge: string;
  readonly allowCredentials: boolean | null;
  readonly allowPrivateNetworkAccess: boolean | null;
  readonly forwardNotMatchingPreflights: boolean | null;
  /** `filter_enabled.default_value` as a probability (absent: always enabled). */
  readonly enabledFraction: number;
  /** `shadow_enabled.default_value` as a probability (absent: never). */
  readonly shadowFraction: number;
}

const POLICY_FIELDS = [
  'allow_origin_string_match',
  'allow_methods',
  'allow_headers',
  'expose_headers',
  'max_age',
  'allow_credentials',
  'filter_enabled',
  'shadow_enabled',
  'allow_private_network_access',
  'forward_not_matching_preflights',
];

/** Compiles a CorsPolicy (the `typed_per_filter_config` entry without `@type`). */
export function compileCorsPolicy(v: unknown, path: string): CorsPolicy {
  const o = obj(v, path, POLICY_FIELDS);
  return {
    allowOrigins: arr(o, 'allow_origin_string_match', path).map((m, i) =>
      compileStringMatcher(m, `${path}.allow_origin_string_match[${i}]`),
    ),
    allowMethods: str(o, 'allow_methods', path) ?? '',
    allowHeaders: str(o, 'allow_headers', path) ?? '',
    exposeHeaders: str(o, 'expose_headers', path) ?? '',
    maxAge: str(o, 'max_age', path) ?? '',
    allowCredentials: optionalBool(o, 'allow_credentials', path),
    allowPrivateNetworkAccess: optionalBool(o, 'allow_private_network_access', path),
    forwardNotMatchingPreflights: optionalBool(o, 'forward_not_matching_preflights', path),
    enabledFraction:
      o.filter_enabled != null ? runtimeFraction(o.filter_enabled, `${path}.filter_enabled`) : 1,
    shadowFraction:
      o.shadow_enabled != null ? runtimeFraction(o.shadow_enabled, `${path}.shadow_enabled`) : 0,
  };
}

/** The filter's own `typed_config` (`envoy.extensions.filters.http.cors.v3.Cors`) has no fields. */
export function checkCorsFilterConfig(v: unknown, path: string): void {
  obj(v, path, []);
}

function optionalBool(o: Json, key: string, path: string): boolean | null {
  return o[key] == null ? null : bool(o, key, path, false);
}

/**
 * The policy in force on one route. Envoy reads each field from the most specific level (route,
 * virtual host, route configuration) that sets it; `filter_enabled` and `shadow_enabled` come
 * from the most specific policy alone.
 */
export interface EffectiveCorsPolicy {
  readonly allowOrigins: readonly StringMatcher[];
  readonly allowMethods: string;
  readonly allowHeaders: string;
  readonly exposeHeaders: string;
  readonly maxAge: string;
  /** Default false. */
  readonly allowCredentials: boolean;
  /** Default false. */
  readonly allowPrivateNetworkAccess: boolean;
  /** Default true. */
  readonly forwardNotMatchingPreflights: boolean;
  readonly enabledFraction: number;
  readonly shadowFraction: number;
}

/** Merges the policies of a route's levels (most specific first); null when there are none. */
export function mergeCorsPolicies(levels: readonly CorsPolicy[]): EffectiveCorsPolicy | null {
  if (levels.length === 0) return null;
  const first = <T>(pick: (p: CorsPolicy) => T, isSet: (v: T) => boolean, dflt: T): T => {
    for (const p of levels) {
      const v = pick(p);
      if (isSet(v)) return v;
    }
    return dflt;
  };
  const nonEmpty = (s: string) => s !== '';
  const notNull = (b: boolean | null) => b !== null;
  return {
    allowOrigins: first(
      (p) => p.allowOrigins,
      (m) => m.length > 0,
      [],
    ),
    allowMethods: first((p) => p.allowMethods, nonEmpty, ''),
    allowHeaders: first((p) => p.allowHeaders, nonEmpty, ''),
    exposeHeaders: first((p) => p.exposeHeaders, nonEmpty, ''),
    maxAge: first((p) => p.maxAge, nonEmpty, ''),
    allowCredentials: first((p) => p.allowCredentials, notNull, false) === true,
    allowPrivateNetworkAccess: first((p) => p.allowPrivateNetworkAccess, notNull, false) === true,
    forwardNotMatchingPreflights: first((p) => p.forwardNotMatchingPreflights, notNull, true) !== false,
    enabledFraction: levels[0].enabledFraction,
    shadowFraction: levels[0].shadowFraction,
  };
}
