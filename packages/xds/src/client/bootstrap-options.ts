import { normalize } from '../codec/any.js';
import type { JsonObject } from '../codec/from-json.js';
import { XdsCodecError } from '../errors.js';
import { TYPE_URLS } from '../type-urls.js';
import type { AdsClientOptions } from './client-options.js';

type Json = Record<string, any>;

function adsAddress(bootstrap: Json, service: Json | undefined): string {
  const path = 'dynamic_resources.ads_config.grpc_services[0]';
  const target = service?.google_grpc?.target_uri;
  if (typeof target === 'string' && target !== '') return target;
  const clusterName = service?.envoy_grpc?.cluster_name;
  if (typeof clusterName !== 'string') {
    throw new XdsCodecError(path, 'needs envoy_grpc.cluster_name or google_grpc.target_uri');
  }
  const clusters: Json[] = bootstrap.static_resources?.clusters ?? [];
  const index = clusters.findIndex((c) => c.name === clusterName);
  if (index === -1) {
    throw new XdsCodecError(`${path}.envoy_grpc.cluster_name`, `no static cluster named "${clusterName}"`);
  }
  const socket =
    clusters[index].load_assignment?.endpoints?.[0]?.lb_endpoints?.[0]?.endpoint?.address?.socket_address;
  if (!socket?.address || !socket.port_value) {
    throw new XdsCodecError(
      `static_resources.clusters[${index}].load_assignment`,
      'needs an endpoint with a socket address',
    );
  }
  const host = String(socket.address);
  return `${host.includes(':') ? `[${host}]` : host}:${socket.port_value}`;
}

/**
 * The {@link AdsClientOptions} an Envoy v3 bootstrap's `dynamic_resources` describes: the ADS
 * server (a `google_grpc` target, or the first endpoint of the static cluster `envoy_grpc`
 * names), `DELTA_GRPC` for delta, the `node`, and LDS/CDS by wildcard when `lds_config` /
 * `cds_config` point at ADS. Returns undefined when the bootstrap has no `ads_config`. TLS to the
 * ADS cluster is the caller's to set (`credentials`).
 */
export function adsClientOptionsFromBootstrap(bootstrap: unknown): AdsClientOptions | undefined {
  const canonical = normalize('envoy.config.bootstrap.v3.Bootstrap', bootstrap) as Json;
  const dynamic = canonical.dynamic_resources;
  const ads = dynamic?.ads_config;
  if (!ads) return undefined;
  if (!canonical.node?.id) throw new XdsCodecError('node.id', 'an ADS client needs a node id');
  const wildcardTypes: string[] = [];
  if (dynamic.lds_config?.ads) wildcardTypes.push(TYPE_URLS.LISTENER);
  if (dynamic.cds_config?.ads) wildcardTypes.push(TYPE_URLS.CLUSTER);
  return {
    address: adsAddress(canonical, ads.grpc_services?.[0]),
    node: canonical.node as JsonObject & { id: string },
    delta: ads.api_type === 'DELTA_GRPC' || ads.api_type === 'AGGREGATED_DELTA_GRPC',
    wildcardTypes,
  };
}
