import type { JsonObject } from './codec/from-json.js';
import type { SnapshotInput } from './server/snapshot.js';

const HCM_TYPE =
  'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const ROUTER_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';

/** Options of {@link grpcXdsBootstrap}. */
export interface GrpcXdsBootstrapOptions {
  /** The ADS server, `host:port`. */
  serverUri: string;
  nodeId: string;
  cluster?: string;
  metadata?: JsonObject;
  locality?: { region?: string; zone?: string; sub_zone?: string };
}

/**
 * The bootstrap a proxyless gRPC application (`@grpc/grpc-js-xds`, grpc-go, grpc-java) needs to
 * join the mesh: one plaintext xDS v3 server. Serialise it into the `GRPC_XDS_BOOTSTRAP_CONFIG`
 * environment variable (or a file named by `GRPC_XDS_BOOTSTRAP`) before the app registers xDS.
 *
 * @example
 * env.GRPC_XDS_BOOTSTRAP_CONFIG = JSON.stringify(grpcXdsBootstrap({ serverUri: 'localhost:15010', nodeId: 'app-1' }));
 */
export function grpcXdsBootstrap(options: GrpcXdsBootstrapOptions): JsonObject {
  // grpc-js-xds rejects a bootstrap whose node has no locality, even an empty one.
  const node: JsonObject = {
    id: options.nodeId,
    cluster: options.cluster ?? '',
    locality: options.locality ?? {},
  };
  if (options.metadata) node.metadata = options.metadata;
  return {
    xds_servers: [
      { server_uri: options.serverUri, channel_creds: [{ type: 'insecure' }], server_features: ['xds_v3'] },
    ],
    node,
  };
}

/** One endpoint of a proxyless service. */
export interface ProxylessEndpoint {
  address: string;
  port: number;
  /** Load-balancing weight (default 1). */
  weight?: number;
}

/** A service a proxyless gRPC client dials as `xds:///<name>`. */
export interface ProxylessService {
  /** The channel target's authority-less name: `xds:///inventory` → `inventory`. */
  name: string;
  endpoints: ProxylessEndpoint[];
  /** Per-call timeout the route sets, as an xDS duration (`"5s"`); absent: none. */
  timeout?: string;
}

/**
 * The xDS resources a proxyless gRPC client needs to reach each service: a Listener named after
 * the target with an `api_listener` (HTTP connection manager, inline route to the cluster,
 * router filter), an EDS Cluster, and its ClusterLoadAssignment. This is the minimal shape gRPC
 * accepts; a control plane's translator produces richer ones the same way.
 */
export function proxylessGrpcSnapshot(version: string, services: readonly ProxylessService[]): SnapshotInput {
  return {
    lds: { version, resources: services.map(proxylessListener) },
    cds: { version, resources: services.map((s) => proxylessCluster(s.name)) },
    eds: { version, resources: services.map(proxylessLoadAssignment) },
  };
}

function proxylessListener(service: ProxylessService): JsonObject {
  const route: JsonObject = { cluster: service.name };
  if (service.timeout) route.timeout = service.timeout;
  return {
    name: service.name,
    api_listener: {
      api_listener: {
        '@type': HCM_TYPE,
        stat_prefix: service.name,
        route_config: {
          name: `${service.name}-route`,
          virtual_hosts: [{ name: service.name, domains: ['*'], routes: [{ match: { prefix: '' }, route }] }],
        },
        http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': ROUTER_TYPE } }],
      },
    },
  };
}

function proxylessCluster(name: string): JsonObject {
  return {
    name,
    type: 'EDS',
    eds_cluster_config: { eds_config: { ads: {}, resource_api_version: 'V3' }, service_name: name },
    lb_policy: 'ROUND_ROBIN',
  };
}

function proxylessLoadAssignment(service: ProxylessService): JsonObject {
  return {
    cluster_name: service.name,
    endpoints: [
      {
        locality: { region: 'local', zone: 'local' },
        // gRPC ignores localities without a weight.
        load_balancing_weight: 1,
        lb_endpoints: service.endpoints.map((e) => ({
          endpoint: { address: { socket_address: { address: e.address, port_value: e.port } } },
          health_status: 'HEALTHY',
          load_balancing_weight: e.weight ?? 1,
        })),
      },
    ],
  };
}
