/**
 * Builds the upstream HTTP/1.1 request head for a routed request, once per request: rewrites
 * (prefix, regex, host), header mutations in Envoy's order (weighted cluster → route → virtual
 * host → route configuration) and the header block serialised to one string. Per attempt only
 * the `host` (auto_host_rewrite), the attempt count and framing are appended.
 */
import type { ActiveStream } from '../http/active-stream.js';
import { applyHeaderMutation } from './header-mutation.js';
import type { RouteAction, WeightedCluster } from './route-action.js';

/** The parts of an upstream request head that do not change between attempts. */
export interface UpstreamHead {
  /** `METHOD path HTTP/1.1\r\n` */
  readonly requestLine: string;
  /** Host to send, or null with auto_host_rewrite (the chosen host's address is used). */
  readonly host: string | null;
  /** Serialised end-to-end headers, each `name: value\r\n`. */
  readonly headerText: string;
  /** Framing for the body: `content-length: n\r\n`, `transfer-encoding: chunked\r\n` or ''. */
  readonly framing: string;
}

/** Upstream path for a request after prefix/regex rewrites, with the query. */
export function upstreamPath(as: ActiveStream, action: RouteAction): string {
  let p = as.path;
  const route = as.route!;
  if (
    action.prefixRewrite !== null &&
    (route.pathKind === 'prefix' || route.pathKind === 'separated' || route.pathKind === 'path')
  ) {
    p = action.prefixRewrite + p.slice(route.pathValue.length);
    if (p === '') p = '/';
  } else if (action.regexRewrite !== null) {
    action.regexRewrite.re.lastIndex = 0;
    p = p.replace(action.regexRewrite.re, action.regexRewrite.substitution);
  }
  return as.query === '' ? p : p + '?' + as.query;
}

/** Applies header mutations and serialises the head parts. */
export function buildUpstreamHead(
  as: ActiveStream,
  action: RouteAction,
  weighted: WeightedCluster | null,
): UpstreamHead {
  const h = as.requestHeaders;
  if (weighted !== null) applyHeaderMutation(weighted.requestHeaders, h);
  applyHeaderMutation(as.route!.requestHeaders, h);
  applyHeaderMutation(as.vhost!.requestHeaders, h);
  applyHeaderMutation(as.routeTable!.requestHeaders, h);
  let headerText = '';
  for (let i = 0; i < h.length; i += 2) headerText += h[i] + ': ' + h[i + 1] + '\r\n';
  const d = as.downstream;
  let framing = '';
  if (d.upgrade !== '') framing = 'connection: upgrade\r\nupgrade: ' + d.upgrade + '\r\n';
  else if (d.hasBody)
    framing =
      d.contentLength >= 0 ? 'content-length: ' + d.contentLength + '\r\n' : 'transfer-encoding: chunked\r\n';
  return {
    requestLine: as.method + ' ' + upstreamPath(as, action) + ' HTTP/1.1\r\n',
    host: action.hostRewriteLiteral ?? (action.autoHostRewrite ? null : as.authority),
    headerText,
    framing,
  };
}

/** The full head for one attempt. */
export function headForAttempt(u: UpstreamHead, hostAddress: string, attempt: number): string {
  return (
    u.requestLine +
    'host: ' +
    (u.host ?? hostAddress) +
    '\r\n' +
    u.headerText +
    'x-envoy-attempt-count: ' +
    attempt +
    '\r\n' +
    u.framing +
    '\r\n'
  );
}

/** Picks a weighted cluster (`random` in [0, 1)). */
export function pickWeighted(action: RouteAction, random: number): WeightedCluster {
  let r = random * action.totalWeight;
  const list = action.weighted;
  for (let i = 0; i < list.length; i++) {
    r -= list[i].weight;
    if (r < 0) return list[i];
  }
  return list[list.length - 1];
}
