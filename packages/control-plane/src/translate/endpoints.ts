/**
 * `ClusterLoadAssignment`s: the endpoints of one cluster, grouped by locality, with health status,
 * weights and the instance's labels as `envoy.lb` metadata (what subset load balancers key on).
 */
import type { EnvoyJson } from './envoy.js';
import type { WorkloadEndpoint } from './model.js';

/** Which port of an endpoint a consumer connects to. */
export type EndpointPortMode = 'sidecar' | 'direct';

/**
 * Builds the assignment for `clusterName` from the endpoints that belong to it. Mesh consumers
 * (sidecars, gateways) reach an instance through its sidecar's inbound port when it has one;
 * proxyless clients connect to the app port directly.
 */
export function clusterLoadAssignment(
  clusterName: string,
  endpoints: readonly WorkloadEndpoint[],
  portMode: EndpointPortMode,
): EnvoyJson {
  const byLocality = new Map<string, EnvoyJson[]>();
  const seen = new Set<string>();
  for (const ep of endpoints) {
    const port = portMode === 'sidecar' ? (ep.sidecarPort ?? ep.port) : ep.port;
    // Duplicate addresses make gRPC clients reject the whole assignment.
    const key = `${ep.address}:${port}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const lbEndpoint: EnvoyJson = {
      endpoint: { address: { socket_address: { address: ep.address, port_value: port } } },
      health_status: ep.health,
      metadata: { filter_metadata: { 'envoy.lb': { ...ep.labels }, meshwork: { instance_id: ep.id } } },
    };
    if (ep.weight !== undefined && ep.weight > 0) lbEndpoint.load_balancing_weight = ep.weight;
    const locality = ep.locality ?? '';
    let list = byLocality.get(locality);
    if (!list) byLocality.set(locality, (list = []));
    list.push(lbEndpoint);
  }
  const groups: EnvoyJson[] = [];
  for (const [locality, lbEndpoints] of [...byLocality].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    groups.push({
      locality: localityJson(locality),
      lb_endpoints: lbEndpoints,
      // gRPC's weighted-target balancer needs a locality weight; Envoy ignores it unless asked.
      load_balancing_weight: lbEndpoints.length,
    });
  }
  return { cluster_name: clusterName, endpoints: groups };
}

function localityJson(locality: string): EnvoyJson {
  if (!locality) return {};
  const [region, zone, subZone] = locality.split('/');
  const out: EnvoyJson = {};
  if (region) out.region = region;
  if (zone) out.zone = zone;
  if (subZone) out.sub_zone = subZone;
  return out;
}
