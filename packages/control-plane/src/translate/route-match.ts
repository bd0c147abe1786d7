/**
 * Istio `HTTPMatchRequest` → Envoy `RouteMatch`. Method, authority and scheme become pseudo-header
 * matchers (`:method`, `:authority`, `:scheme`), as Envoy and Istio do.
 */
import type { HTTPMatchRequest, StringMatch } from '../resources/istio-networking.js';
import type { EnvoyJson } from './envoy.js';

/** An Envoy `StringMatcher` from an Istio `StringMatch`; `undefined` when it sets nothing. */
export function stringMatcher(match: StringMatch, ignoreCase = false): EnvoyJson | undefined {
  const out: EnvoyJson = {};
  if (match.exact !== undefined) out.exact = match.exact;
  else if (match.prefix !== undefined) out.prefix = match.prefix;
  else if (match.regex !== undefined) out.safe_regex = { regex: match.regex };
  else return undefined;
  if (ignoreCase) out.ignore_case = true;
  return out;
}

function headerMatcher(name: string, match: StringMatch, invert: boolean): EnvoyJson {
  const sm = stringMatcher(match);
  // An empty StringMatch in Istio means "the header is present".
  const out: EnvoyJson = sm ? { name, string_match: sm } : { name, present_match: true };
  if (invert) out.invert_match = true;
  return out;
}

/** The Envoy route match for one Istio match alternative (or everything when absent). */
export function routeMatch(match: HTTPMatchRequest | undefined): EnvoyJson {
  const out: EnvoyJson = {};
  const uri = match?.uri;
  if (uri?.exact !== undefined) out.path = uri.exact;
  else if (uri?.regex !== undefined) out.safe_regex = { regex: uri.regex };
  else out.prefix = uri?.prefix ?? '/';
  if (match?.ignoreUriCase) out.case_sensitive = false;
  if (!match) return out;
  const headers: EnvoyJson[] = [];
  if (match.method) headers.push(headerMatcher(':method', match.method, false));
  if (match.authority) headers.push(headerMatcher(':authority', match.authority, false));
  if (match.scheme) headers.push(headerMatcher(':scheme', match.scheme, false));
  for (const [name, m] of Object.entries(match.headers ?? {})) headers.push(headerMatcher(name, m, false));
  for (const [name, m] of Object.entries(match.withoutHeaders ?? {}))
    headers.push(headerMatcher(name, m, true));
  if (headers.length > 0) out.headers = headers;
  const params: EnvoyJson[] = [];
  for (const [name, m] of Object.entries(match.queryParams ?? {})) {
    const sm = stringMatcher(m);
    params.push(sm && !(m.exact === '') ? { name, string_match: sm } : { name, present_match: true });
  }
  if (params.length > 0) out.query_parameters = params;
  return out;
}
