/**
 * The routing configuration of the mesh, indexed for translation: VirtualServices by host,
 * DestinationRules by host, Gateways and Sidecars by namespace. Built once per config change;
 * every proxy's translation reads it.
 */
import { hostMatches, toFqdn } from '../resources/hosts.js';
import type { DestinationRule, Gateway, Sidecar, VirtualService } from '../resources/kinds.js';
import { ofKind } from '../resources/kinds.js';
import type { StoredResource } from '../resources/resource.js';
import type { EndpointSource } from './model.js';
import { buildServiceCatalog, type ServiceCatalog } from './service-catalog.js';

/** Everything translation reads, indexed. */
export interface MeshConfig {
  catalog: ServiceCatalog;
  /** VirtualServices that apply to sidecars (`gateways` empty or containing `mesh`), by host FQDN, oldest first. */
  meshRoutes: Map<string, VirtualService[]>;
  virtualServices: readonly VirtualService[];
  destinationRules: readonly DestinationRule[];
  gateways: readonly Gateway[];
  sidecars: readonly Sidecar[];
}

/** Indexes a full set of stored resources. */
export function buildMeshConfig(resources: Iterable<StoredResource>, source: EndpointSource): MeshConfig {
  const all = [...resources].sort(byAge);
  const virtualServices = ofKind(all, 'VirtualService');
  const catalog = buildServiceCatalog(
    {
      services: ofKind(all, 'Service'),
      serviceEntries: ofKind(all, 'ServiceEntry'),
      endpoints: ofKind(all, 'Endpoints'),
      serviceInstances: ofKind(all, 'ServiceInstance'),
    },
    source,
  );
  return {
    catalog,
    meshRoutes: indexMeshRoutes(virtualServices),
    virtualServices,
    destinationRules: ofKind(all, 'DestinationRule'),
    gateways: ofKind(all, 'Gateway'),
    sidecars: ofKind(all, 'Sidecar'),
  };
}

/** Oldest first, as Istio resolves conflicts (then by namespace/name for a stable order). */
function byAge(a: StoredResource, b: StoredResource): number {
  const ta = a.metadata.creationTimestamp ?? '';
  const tb = b.metadata.creationTimestamp ?? '';
  if (ta !== tb) return ta < tb ? -1 : 1;
  const ka = `${a.metadata.namespace}/${a.metadata.name}`;
  const kb = `${b.metadata.namespace}/${b.metadata.name}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** True when a VirtualService binds to sidecars. */
export function appliesToMesh(vs: VirtualService): boolean {
  const gws = vs.spec.gateways;
  return !gws || gws.length === 0 || gws.includes('mesh');
}

function indexMeshRoutes(virtualServices: readonly VirtualService[]): Map<string, VirtualService[]> {
  const out = new Map<string, VirtualService[]>();
  for (const vs of virtualServices) {
    if (!appliesToMesh(vs)) continue;
    for (const host of vs.spec.hosts ?? []) {
      const fqdn = toFqdn(host, vs.metadata.namespace);
      let list = out.get(fqdn);
      if (!list) out.set(fqdn, (list = []));
      list.push(vs);
    }
  }
  return out;
}

/**
 * True when a resource's `exportTo` lets a proxy in `proxyNamespace` see it: absent or `*` means
 * everywhere, `.` the resource's own namespace, anything else a namespace by name.
 */
export function exportedTo(
  exportTo: readonly string[] | undefined,
  ownNamespace: string,
  proxyNamespace: string,
): boolean {
  if (!exportTo || exportTo.length === 0) return true;
  for (const e of exportTo) {
    if (e === '*' || e === proxyNamespace || (e === '.' && ownNamespace === proxyNamespace)) return true;
  }
  return false;
}

/** The VirtualService for a host as seen from `proxyNamespace`: the oldest one exported there, as in Istio. */
export function meshRouteFor(
  config: MeshConfig,
  hostFqdn: string,
  proxyNamespace: string,
): VirtualService | undefined {
  return config.meshRoutes
    .get(hostFqdn)
    ?.find((vs) => exportedTo(vs.spec.exportTo, vs.metadata.namespace, proxyNamespace));
}

/**
 * The DestinationRule for a host as seen from `proxyNamespace`: one in the proxy's namespace
 * first, then one in the service's namespace, then any; an exact host beats a wildcard.
 */
export function destinationRuleFor(
  config: MeshConfig,
  hostFqdn: string,
  proxyNamespace: string,
  serviceNamespace: string,
): DestinationRule | undefined {
  let best: DestinationRule | undefined;
  let bestScore = -1;
  for (const dr of config.destinationRules) {
    const ns = dr.metadata.namespace;
    if (!exportedTo(dr.spec.exportTo, ns, proxyNamespace)) continue;
    const pattern = toFqdn(dr.spec.host, ns);
    if (!hostMatches(pattern, hostFqdn)) continue;
    const score =
      (pattern === hostFqdn ? 4 : 0) + (ns === proxyNamespace ? 2 : ns === serviceNamespace ? 1 : 0);
    if (score > bestScore) {
      best = dr;
      bestScore = score;
    }
  }
  return best;
}

/** True when every `selector` label is present with the same value in `labels`. */
/**
 * Whether a route's match alternative (HTTP or TCP/TLS: the attributes they share) applies on
 * `port` through `gateway` (`mesh` for sidecars) for the client proxy `node`. An absent or empty
 * `gateways` list means the VirtualService's own gateways, as in Istio.
 */
export function matchApplies(
  m: {
    port?: number;
    gateways?: readonly string[];
    sourceLabels?: Readonly<Record<string, string>>;
    sourceNamespace?: string;
  },
  port: number,
  gateway: string,
  node: { labels: Readonly<Record<string, string>>; namespace: string },
): boolean {
  return (
    (m.port === undefined || m.port === port) &&
    (!m.gateways || m.gateways.length === 0 || m.gateways.includes(gateway)) &&
    labelsMatch(m.sourceLabels, node.labels) &&
    (m.sourceNamespace === undefined || m.sourceNamespace === node.namespace)
  );
}

export function labelsMatch(
  selector: Readonly<Record<string, string>> | undefined,
  labels: Readonly<Record<string, string>>,
): boolean {
  if (!selector) return true;
  for (const key in selector) if (labels[key] !== selector[key]) return false;
  return true;
}
