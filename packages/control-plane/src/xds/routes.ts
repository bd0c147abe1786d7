/**
 * REST routes of xDS serving: per-change convergence (`GET /changes/:id`), connected proxies with
 * their per-type versions and ACK state (`GET /v1/proxies`), and what one proxy was last sent
 * (`GET /v1/proxies/:node/config?type=clusters`), which `meshwork proxy-config` prints.
 */
import { toTypeName } from '@meshwork/xds';
import { sendJson } from '../api/http.js';
import type { Route, RouteContext } from '../api/server.js';
import { ControlPlaneError } from '../errors.js';
import { RESOURCE_KINDS, type ResourceKind } from '../translate/snapshot.js';
import type { ProxyState, XdsService } from './xds-service.js';

const KIND_ALIASES: Record<string, ResourceKind> = {
  listeners: 'listeners',
  listener: 'listeners',
  lds: 'listeners',
  routes: 'routes',
  route: 'routes',
  rds: 'routes',
  clusters: 'clusters',
  cluster: 'clusters',
  cds: 'clusters',
  endpoints: 'endpoints',
  endpoint: 'endpoints',
  eds: 'endpoints',
};

function proxySummary(xds: XdsService, p: ProxyState): Record<string, unknown> {
  const streams = xds.ads.streams(p.node.id).map((s) => ({
    streamId: s.streamId,
    delta: s.delta,
    types: s.types.map((t) => ({
      type: toTypeName(t.typeUrl),
      sentVersion: t.sentVersion,
      ackedVersion: t.ackedVersion,
      state: t.nack ? 'NACKED' : t.sentVersion === t.ackedVersion ? 'ACKED' : 'PENDING',
      nack: t.nack,
      resources: t.wildcard ? '*' : t.resourceNames.length,
    })),
  }));
  return {
    id: p.node.id,
    mode: p.node.mode,
    service: p.node.service,
    namespace: p.node.namespace,
    connectedAt: new Date(p.connectedAtMs).toISOString(),
    versions: p.versions,
    resources: Object.fromEntries(RESOURCE_KINDS.map((k) => [k, p.sent?.[k].size ?? 0])),
    streams,
    nacks: p.nacks.map((n) => ({ ...n, at: new Date(n.atMs).toISOString(), atMs: undefined })),
  };
}

function changeHandler(xds: XdsService) {
  return ({ res, params }: RouteContext) => {
    const report = xds.tracker.report(params.id);
    if (!report)
      throw new ControlPlaneError(
        'MESH_ERR_CP_NOT_FOUND',
        `change ${params.id} not found (unknown or forgotten)`,
      );
    sendJson(res, 200, report);
  };
}

function requireProxy(xds: XdsService, id: string): ProxyState {
  const p = xds.get(id);
  if (!p) throw new ControlPlaneError('MESH_ERR_CP_NOT_FOUND', `proxy ${id} is not connected`);
  return p;
}

/** The xDS routes, for `createApiServer({ routes })`. */
export function xdsRoutes(xds: XdsService): Route[] {
  return [
    { method: 'GET', path: '/changes/:id', handler: changeHandler(xds) },
    { method: 'GET', path: '/v1/changes/:id', handler: changeHandler(xds) },
    {
      method: 'GET',
      path: '/v1/proxies',
      handler: ({ res }) => sendJson(res, 200, { proxies: xds.list().map((p) => proxySummary(xds, p)) }),
    },
    {
      method: 'GET',
      path: '/v1/proxies/:node',
      handler: ({ res, params }) => sendJson(res, 200, proxySummary(xds, requireProxy(xds, params.node))),
    },
    {
      method: 'GET',
      path: '/v1/proxies/:node/config',
      handler: ({ res, params, query }) => {
        const p = requireProxy(xds, params.node);
        const type = query.get('type');
        const kinds = type ? [KIND_ALIASES[type.toLowerCase()]] : RESOURCE_KINDS;
        if (kinds[0] === undefined) {
          throw new ControlPlaneError(
            'MESH_ERR_CP_BAD_REQUEST',
            `type: "${type}" is not one of listeners, routes, clusters, endpoints`,
          );
        }
        const body: Record<string, unknown> = { node: p.node.id, mode: p.node.mode };
        for (const kind of kinds) {
          body[kind] = { version: p.versions[kind], resources: [...(p.sent?.[kind].values() ?? [])] };
        }
        sendJson(res, 200, body);
      },
    },
  ];
}
