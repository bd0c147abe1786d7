import type { JsonObject } from '../codec/from-json.js';
import { TYPE_URLS } from '../type-urls.js';

const HCM_TYPE =
  'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';

function hcmRouteName(typedConfig: unknown): string | undefined {
  const config = typedConfig as JsonObject | undefined;
  if (!config || config['@type'] !== HCM_TYPE) return undefined;
  const rds = config.rds as JsonObject | undefined;
  return typeof rds?.route_config_name === 'string' ? rds.route_config_name : undefined;
}

function chainRouteNames(chain: unknown, out: Set<string>): void {
  for (const filter of ((chain as JsonObject | undefined)?.filters as JsonObject[] | undefined) ?? []) {
    const name = hcmRouteName(filter.typed_config);
    if (name) out.add(name);
  }
}

/**
 * The RouteConfiguration names a set of Listeners asks for over RDS (HTTP connection managers
 * with `rds`, in filter chains, the default chain, or an `api_listener`) — what Envoy subscribes
 * to after accepting LDS.
 */
export function routeNamesOf(listeners: Iterable<JsonObject>): string[] {
  const names = new Set<string>();
  for (const listener of listeners) {
    for (const chain of (listener.filter_chains as JsonObject[] | undefined) ?? [])
      chainRouteNames(chain, names);
    chainRouteNames(listener.default_filter_chain, names);
    const api = (listener.api_listener as JsonObject | undefined)?.api_listener;
    const name = hcmRouteName(api);
    if (name) names.add(name);
  }
  return [...names].sort();
}

/**
 * The ClusterLoadAssignment names a set of Clusters asks for over EDS (`type: EDS`, by
 * `eds_cluster_config.service_name` or else the cluster name) — what Envoy subscribes to after
 * accepting CDS.
 */
export function edsNamesOf(clusters: Iterable<JsonObject>): string[] {
  const names = new Set<string>();
  for (const cluster of clusters) {
    if (cluster.type !== 'EDS') continue;
    const serviceName = (cluster.eds_cluster_config as JsonObject | undefined)?.service_name;
    names.add(typeof serviceName === 'string' && serviceName !== '' ? serviceName : String(cluster.name));
  }
  return [...names].sort();
}

/**
 * What accepted resources of `typeUrl` make a client subscribe to: RDS names for Listeners, EDS
 * names for Clusters; undefined for other types.
 */
export function referencedNames(
  typeUrl: string,
  resources: Iterable<JsonObject>,
): { typeUrl: string; names: string[] } | undefined {
  if (typeUrl === TYPE_URLS.LISTENER)
    return { typeUrl: TYPE_URLS.ROUTE_CONFIGURATION, names: routeNamesOf(resources) };
  if (typeUrl === TYPE_URLS.CLUSTER)
    return { typeUrl: TYPE_URLS.CLUSTER_LOAD_ASSIGNMENT, names: edsNamesOf(resources) };
  return undefined;
}
