/**
 * Builds the set of services the mesh can route to from Kubernetes `Service`s, `ServiceEntry`s and
 * registered workloads, and collects the static endpoints resources declare (`Endpoints`,
 * `ServiceInstance`, `ServiceEntry.endpoints`).
 */
import { serviceFqdn, toFqdn } from '../resources/hosts.js';
import type { Endpoints, Service, ServiceEntry, ServiceInstance } from '../resources/kinds.js';
import type {
  EndpointSource,
  PortProtocol,
  ServiceModel,
  ServicePortModel,
  WorkloadEndpoint,
} from './model.js';

/** Resources the catalog reads. */
export interface CatalogInputs {
  services: readonly Service[];
  serviceEntries: readonly ServiceEntry[];
  endpoints: readonly Endpoints[];
  serviceInstances: readonly ServiceInstance[];
}

/** Services by FQDN plus the static endpoints declared for each. */
export interface ServiceCatalog {
  services: Map<string, ServiceModel>;
  staticEndpoints: Map<string, WorkloadEndpoint[]>;
}

/** Reads a Kubernetes `appProtocol`/port name/Istio protocol into our protocol names. */
export function protocolOf(hint: string | undefined): PortProtocol {
  const p = (hint ?? '').toLowerCase();
  if (p.startsWith('grpc')) return 'grpc';
  if (p.startsWith('http2') || p === 'h2' || p === 'h2c' || p.startsWith('kubernetes.io/h2c')) return 'http2';
  if (p === 'tcp' || p.startsWith('tcp-') || p === 'mongo' || p === 'tls' || p.startsWith('redis'))
    return 'tcp';
  return 'http';
}

/** Builds the catalog. Resources win over registrations for ports; registrations add services. */
export function buildServiceCatalog(inputs: CatalogInputs, source: EndpointSource): ServiceCatalog {
  const services = new Map<string, ServiceModel>();
  const staticEndpoints = new Map<string, WorkloadEndpoint[]>();
  for (const svc of inputs.services) addKubernetesService(services, svc);
  for (const se of inputs.serviceEntries) addServiceEntry(services, staticEndpoints, se);
  for (const reg of source.registeredServices()) {
    const fqdn = serviceFqdn(reg.name, reg.namespace);
    if (services.has(fqdn)) continue;
    const ports = [...reg.ports].sort((a, b) => a - b).map((port) => ({ port, protocol: reg.protocol }));
    services.set(fqdn, {
      fqdn,
      name: reg.name,
      namespace: reg.namespace,
      origin: 'registry',
      ports,
      resolution: 'EDS',
    });
  }
  for (const ep of inputs.endpoints) addEndpointsResource(staticEndpoints, ep);
  for (const si of inputs.serviceInstances) addServiceInstance(services, staticEndpoints, si);
  return { services, staticEndpoints };
}

function addKubernetesService(services: Map<string, ServiceModel>, svc: Service): void {
  const ns = svc.metadata.namespace;
  const fqdn = serviceFqdn(svc.metadata.name, ns);
  const ports: ServicePortModel[] = (svc.spec.ports ?? []).map((p) => ({
    port: p.port,
    name: p.name,
    protocol: protocolOf(p.appProtocol ?? p.name),
    targetPort: typeof p.targetPort === 'number' ? p.targetPort : undefined,
  }));
  services.set(fqdn, {
    fqdn,
    name: svc.metadata.name,
    namespace: ns,
    origin: 'kubernetes',
    ports,
    resolution: 'EDS',
  });
}

function addServiceEntry(
  services: Map<string, ServiceModel>,
  staticEndpoints: Map<string, WorkloadEndpoint[]>,
  se: ServiceEntry,
): void {
  const ns = se.metadata.namespace;
  const ports: ServicePortModel[] = (se.spec.ports ?? []).map((p) => ({
    port: p.number,
    name: p.name,
    protocol: protocolOf(p.protocol ?? p.name),
    targetPort: p.targetPort,
  }));
  const declared = se.spec.endpoints ?? [];
  const dns = declared.length === 0 && se.spec.resolution !== 'STATIC';
  for (const host of se.spec.hosts) {
    if (host.includes('*')) continue;
    const fqdn = toFqdn(host, ns);
    services.set(fqdn, {
      fqdn,
      name: host,
      namespace: ns,
      origin: 'service-entry',
      ports,
      resolution: dns ? 'DNS' : 'EDS',
      exportTo: se.spec.exportTo,
    });
    const list = listFor(staticEndpoints, fqdn);
    declared.forEach((ep, i) => {
      if (!ep.address) return;
      const firstPort = ports[0]?.targetPort ?? ports[0]?.port ?? 80;
      const named = ports[0]?.name ? ep.ports?.[ports[0].name] : undefined;
      list.push({
        id: `${se.metadata.name}.${ns}#${i}`,
        address: ep.address,
        port: named ?? firstPort,
        labels: ep.labels ?? {},
        health: 'HEALTHY',
        locality: ep.locality,
        weight: ep.weight,
      });
    });
  }
}

function addEndpointsResource(staticEndpoints: Map<string, WorkloadEndpoint[]>, ep: Endpoints): void {
  const fqdn = serviceFqdn(ep.metadata.name, ep.metadata.namespace);
  const list = listFor(staticEndpoints, fqdn);
  for (const subset of ep.spec.subsets ?? []) {
    const port = subset.ports?.[0]?.port;
    if (port === undefined) continue;
    for (const addr of subset.addresses ?? []) {
      list.push({
        id: addr.targetRef?.name ?? `${ep.metadata.name}@${addr.ip}:${port}`,
        address: addr.ip,
        port,
        labels: {},
        health: 'HEALTHY',
      });
    }
  }
}

function addServiceInstance(
  services: Map<string, ServiceModel>,
  staticEndpoints: Map<string, WorkloadEndpoint[]>,
  si: ServiceInstance,
): void {
  const ns = si.metadata.namespace;
  const fqdn = toFqdn(si.spec.service, ns);
  if (!services.has(fqdn) && !si.spec.service.includes('.')) {
    services.set(fqdn, {
      fqdn,
      name: si.spec.service,
      namespace: ns,
      origin: 'registry',
      ports: [{ port: si.spec.port, protocol: protocolOf(si.spec.protocol) }],
      resolution: 'EDS',
    });
  }
  const labels: Record<string, string> = { ...(si.spec.labels ?? {}) };
  if (si.spec.version && labels.version === undefined) labels.version = si.spec.version;
  listFor(staticEndpoints, fqdn).push({
    id: si.metadata.name,
    address: si.spec.address,
    port: si.spec.port,
    sidecarPort: si.spec.sidecarPort,
    labels,
    health: 'HEALTHY',
    locality: si.spec.locality,
    weight: si.spec.weight,
  });
}

function listFor(map: Map<string, WorkloadEndpoint[]>, key: string): WorkloadEndpoint[] {
  let list = map.get(key);
  if (!list) map.set(key, (list = []));
  return list;
}
