/**
 * Builds the upstream request head for a routed request, once per request: rewrites (prefix,
 * regex, host) and header mutations in Envoy's order (weighted cluster → route → virtual host →
 * route configuration). Per attempt only the authority (auto_host_rewrite) and the attempt count
 * change.
 */
import type { ActiveStream } from '../http/active-stream.js';
import type { OutboundHead } from '../http/upstream-callbacks.js';
import { applyHeaderMutation, setHeader } from './header-mutation.js';
import type { RouteAction, WeightedCluster } from './route-action.js';

/**
 * The upstream request head of one routed request, shared by its attempts (each sets its
 * authority and attempt count) and by mirrors. HTTP/1.1 pools serialise it with
 * {@link PreparedHead.http1Head}; HTTP/2 pools read the parts.
 */
export class PreparedHead implements OutboundHead {
  authority: string;

  constructor(
    readonly method: string,
    readonly path: string,
    /** Host to send, or null with auto_host_rewrite (the chosen host's address is used). */
    readonly hostOverride: string | null,
    readonly headers: string[],
    /** HTTP/1.1 framing/upgrade lines, e.g. `content-length: 3\r\n`. */
    readonly framing: string,
  ) {
    this.authority = hostOverride ?? '';
  }

  /** Prepares the head for an attempt to `hostKey`. */
  forAttempt(hostKey: string, attempt: number): this {
    if (this.hostOverride === null) this.authority = hostKey;
    setHeader(this.headers, 'x-envoy-attempt-count', String(attempt));
    return this;
  }

  http1Head(): string {
    const h = this.headers;
    let out = this.method + ' ' + this.path + ' HTTP/1.1\r\nhost: ' + this.authority + '\r\n';
    for (let i = 0; i < h.length; i += 2) out += h[i] + ': ' + h[i + 1] + '\r\n';
    return out + this.framing + '\r\n';
  }
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

/** Applies header mutations and prepares the upstream head. */
export function buildUpstreamHead(
  as: ActiveStream,
  action: RouteAction,
  weighted: WeightedCluster | null,
): PreparedHead {
  const h = as.requestHeaders;
  if (weighted !== null) applyHeaderMutation(weighted.requestHeaders, h);
  applyHeaderMutation(as.route!.requestHeaders, h);
  applyHeaderMutation(as.vhost!.requestHeaders, h);
  applyHeaderMutation(as.routeTable!.requestHeaders, h);
  const d = as.downstream;
  let framing = '';
  if (d.upgrade !== '') framing = 'connection: upgrade\r\nupgrade: ' + d.upgrade + '\r\n';
  else if (d.hasBody)
    framing =
      d.contentLength >= 0 ? 'content-length: ' + d.contentLength + '\r\n' : 'transfer-encoding: chunked\r\n';
  const host = action.hostRewriteLiteral ?? (action.autoHostRewrite ? null : as.authority);
  return new PreparedHead(as.method, upstreamPath(as, action), host, h, framing);
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
