/**
 * The translator's view of the mesh: services (from Kubernetes `Service`s, `ServiceEntry`s and the
 * registry) and their workload endpoints. Everything here is plain data so translation stays a
 * pure function of it.
 */

/** Application protocol of a service port; decides HTTP vs gRPC handling. */
export type PortProtocol = 'http' | 'http2' | 'grpc' | 'tcp';

/** One port of a service. */
export interface ServicePortModel {
  port: number;
  name?: string;
  protocol: PortProtocol;
  /** Container/app port instances serve on, when the Service names one numerically. */
  targetPort?: number;
}

/** Where a service comes from. */
export type ServiceOrigin = 'kubernetes' | 'registry' | 'service-entry';

/** A service the mesh can route to. */
export interface ServiceModel {
  /** Fully qualified host, e.g. `inventory.default.svc.cluster.local` or `api.example.com`. */
  fqdn: string;
  /** Short name (`inventory`); for a ServiceEntry the host itself. */
  name: string;
  namespace: string;
  origin: ServiceOrigin;
  ports: ServicePortModel[];
  /** `EDS` for endpoints we know; `DNS` when the proxy must resolve the host itself. */
  resolution: 'EDS' | 'DNS';
  /** Istio `exportTo` of the ServiceEntry that declares it (absent: visible everywhere). */
  exportTo?: readonly string[];
}

/** Health of an endpoint as Envoy's `health_status` spells it. */
export type EndpointHealth = 'HEALTHY' | 'DEGRADED';

/** One workload endpoint of a service, as the translator needs it. */
export interface WorkloadEndpoint {
  /** Instance id (registry) or a synthetic id for static endpoints. */
  id: string;
  address: string;
  /** The port the app serves on (proxyless clients connect here). */
  port: number;
  /** The port of the instance's sidecar inbound listener (mesh clients connect here). */
  sidecarPort?: number;
  labels: Readonly<Record<string, string>>;
  health: EndpointHealth;
  /** `region/zone/subzone`. */
  locality?: string;
  weight?: number;
}

/** A service known only from registrations (no `Service` resource names it). */
export interface RegisteredService {
  name: string;
  namespace: string;
  protocol: PortProtocol;
  /** Distinct app ports its instances registered with. */
  ports: number[];
}

/**
 * What the translator reads from the registry: which services have instances and which of those
 * instances may receive traffic right now (healthy and ready).
 */
export interface EndpointSource {
  /** Every service with at least one registered instance (in any state). */
  registeredServices(): Iterable<RegisteredService>;
  /** The instances of a service that may receive traffic. */
  endpointsOf(name: string, namespace: string): readonly WorkloadEndpoint[];
}

/** An endpoint source with nothing registered, for offline translation and tests. */
export const EMPTY_ENDPOINT_SOURCE: EndpointSource = {
  registeredServices: () => [],
  endpointsOf: () => [],
};
