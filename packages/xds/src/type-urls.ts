/** Prefix of every type URL the xDS protocol uses. */
export const TYPE_URL_PREFIX = 'type.googleapis.com/';

/**
 * The v3 type URLs of the resources ADS serves. The long names follow Envoy's resource types;
 * `lds`/`rds`/`cds`/`eds`/`sds` are the short aliases used across the project.
 */
export const TYPE_URLS = {
  LISTENER: 'type.googleapis.com/envoy.config.listener.v3.Listener',
  ROUTE_CONFIGURATION: 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration',
  CLUSTER: 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
  CLUSTER_LOAD_ASSIGNMENT: 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment',
  SECRET: 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret',
  lds: 'type.googleapis.com/envoy.config.listener.v3.Listener',
  rds: 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration',
  cds: 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
  eds: 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment',
  sds: 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret',
} as const;

/** One of the short aliases of {@link TYPE_URLS}. */
export type TypeAlias = 'lds' | 'rds' | 'cds' | 'eds' | 'sds';

const ALIASES: Record<string, string> = {
  lds: TYPE_URLS.lds,
  rds: TYPE_URLS.rds,
  cds: TYPE_URLS.cds,
  eds: TYPE_URLS.eds,
  sds: TYPE_URLS.sds,
};

/**
 * Turns an alias (`cds`), a full message name (`envoy.config.cluster.v3.Cluster`) or a type URL
 * into a type URL.
 */
export function toTypeUrl(typeOrAlias: string): string {
  const aliased = ALIASES[typeOrAlias];
  if (aliased) return aliased;
  return typeOrAlias.includes('/') ? typeOrAlias : TYPE_URL_PREFIX + typeOrAlias;
}

/** The fully qualified message name a type URL (or alias, or name) designates. */
export function toTypeName(typeOrUrl: string): string {
  const url = ALIASES[typeOrUrl] ?? typeOrUrl;
  const slash = url.lastIndexOf('/');
  return slash === -1 ? url : url.slice(slash + 1);
}

/**
 * Types whose empty subscription means "everything" (wildcard) in the xDS protocol. The other
 * types are always subscribed by name.
 */
export function isWildcardType(typeUrl: string): boolean {
  return typeUrl === TYPE_URLS.LISTENER || typeUrl === TYPE_URLS.CLUSTER;
}

/** The name a resource carries: `cluster_name` for a ClusterLoadAssignment, `name` otherwise. */
export function resourceNameOf(typeUrl: string, json: Record<string, unknown>): string | undefined {
  const value = typeUrl === TYPE_URLS.CLUSTER_LOAD_ASSIGNMENT ? json.cluster_name : json.name;
  return typeof value === 'string' ? value : undefined;
}

/**
 * The order ADS pushes types in after a change, from the xDS spec's "eventual consistency
 * considerations": secrets and clusters before the endpoints that fill them, those before the
 * listeners and routes that send traffic to them, so no update points at something not yet there.
 */
export const PUSH_ORDER: readonly string[] = [
  TYPE_URLS.SECRET,
  TYPE_URLS.CLUSTER,
  TYPE_URLS.CLUSTER_LOAD_ASSIGNMENT,
  TYPE_URLS.LISTENER,
  TYPE_URLS.ROUTE_CONFIGURATION,
];

/** Type URLs sorted by {@link PUSH_ORDER}; other types follow in their given order. */
export function inPushOrder(typeUrls: Iterable<string>): string[] {
  const rank = (url: string) => {
    const i = PUSH_ORDER.indexOf(url);
    return i === -1 ? PUSH_ORDER.length : i;
  };
  return [...typeUrls].sort((a, b) => rank(a) - rank(b));
}
