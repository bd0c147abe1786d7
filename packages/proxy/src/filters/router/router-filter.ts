/**
 * `envoy.filters.http.router`: the terminal filter. It answers direct responses and redirects,
 * picks the cluster (weighted split), starts request mirrors, and hands the request to an
 * {@link UpstreamRequest}.
 */
import type { ActiveStream } from '../../http/active-stream.js';
import { redirectLocation } from '../../router/local-actions.js';
import { PreparedHead, pickWeighted } from '../../router/request-builder.js';
import { ShadowRequest } from '../../router/shadow-request.js';
import { UpstreamRequest } from '../../router/upstream-request.js';
import { bool, obj } from '../../xds/fields.js';
import type { FilterStatus, FilterStream, HttpFilter, HttpFilterFactory } from '../filter.js';

/** Envoy name of the router filter. */
export const ROUTER_FILTER_NAME = 'envoy.filters.http.router';

/** The router filter (stateless; one shared instance). */
export class RouterFilter implements HttpFilter {
  readonly name = ROUTER_FILTER_NAME;

  constructor(
    private readonly random: () => number = Math.random,
    /** `suppress_envoy_headers`: no `x-envoy-upstream-service-time` / `x-envoy-expected-rq-timeout-ms`. */
    private readonly suppressEnvoyHeaders = false,
  ) {}

  decodeHeaders(stream: FilterStream): FilterStatus {
    const as = stream as ActiveStream;
    const route = as.route;
    if (route === null) {
      as.sendLocalReply(404, '', 'NR');
      return 'stop';
    }
    if (route.directResponse !== null) {
      const dr = route.directResponse;
      const headers = dr.body !== null ? ['content-type', 'text/plain'] : [];
      as.encodeHeaders(dr.status, headers, dr.body?.length ?? 0, dr.body === null);
      if (dr.body !== null) {
        as.encodeData(dr.body);
        as.encodeEnd();
      }
      return 'stop';
    }
    if (route.redirect !== null) {
      const loc = redirectLocation(
        route.redirect,
        as.scheme,
        as.authority,
        as.path,
        as.query,
        route.pathValue,
      );
      as.encodeHeaders(route.redirect.status, ['location', loc], 0, true);
      return 'stop';
    }
    const action = route.action!;
    const weighted = action.weighted.length > 0 ? pickWeighted(action, this.random()) : null;
    const clusterName = weighted !== null ? weighted.name : action.cluster;
    as.upstreamCluster = clusterName;
    const runtime = as.hcm.runtime;
    const cluster = runtime.getCluster(clusterName);
    if (cluster === undefined) {
      as.sendLocalReply(action.clusterNotFoundStatus, '', 'NC');
      return 'stop';
    }
    const upstream = new UpstreamRequest(
      as,
      action,
      cluster,
      runtime.clusterStats(clusterName),
      weighted,
      this.suppressEnvoyHeaders,
    );
    if (action.mirrors.length > 0) this.startMirrors(as, upstream);
    upstream.start();
    return 'stop';
  }

  private startMirrors(as: ActiveStream, upstream: UpstreamRequest): void {
    const runtime = as.hcm.runtime;
    const u = upstream.upstreamHead;
    const d = as.downstream;
    for (const m of as.route!.action!.mirrors) {
      if (this.random() >= m.fraction) continue;
      const cluster = runtime.getCluster(m.cluster);
      const host = cluster?.chooseHost({});
      if (cluster === undefined || host == null) continue;
      const authority = (u.hostOverride ?? host.key).replace(/(:\d+)?$/, '-shadow$1');
      const head = new PreparedHead(u.method, u.path, authority, u.headers.slice(), u.framing);
      const shadow = new ShadowRequest(
        cluster,
        host,
        head,
        d.hasBody ? d.contentLength : 0,
        as.method === 'HEAD',
      );
      if (shadow.start() && d.hasBody) upstream.addShadow(shadow);
    }
  }
}

/** Factory registered as `envoy.filters.http.router`. */
export const routerFilterFactory: HttpFilterFactory = {
  name: ROUTER_FILTER_NAME,
  typeUrls: ['type.googleapis.com/envoy.extensions.filters.http.router.v3.Router'],
  create: (config, path) => {
    const o = obj(config, path, ['suppress_envoy_headers']);
    return new RouterFilter(Math.random, bool(o, 'suppress_envoy_headers', path, false));
  },
};
