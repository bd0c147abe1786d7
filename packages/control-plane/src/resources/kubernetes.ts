/**
 * Spec types of the Kubernetes kinds the control plane serves: core `v1` Service and Endpoints,
 * and `networking.k8s.io/v1` Ingress (stored and validated so Kubernetes manifests apply as they
 * are; routing from it is the gateway's concern).
 */

/** A port of a Service. `targetPort` is a number or a named container port. */
export interface ServicePort {
  name?: string;
  port: number;
  targetPort?: number | string;
  protocol?: 'TCP' | 'UDP' | 'SCTP';
  appProtocol?: string;
  nodePort?: number;
}

/** `spec` of a Service. */
export interface ServiceSpec {
  selector?: Record<string, string>;
  ports?: ServicePort[];
  type?: 'ClusterIP' | 'NodePort' | 'LoadBalancer' | 'ExternalName';
  clusterIP?: string;
  clusterIPs?: string[];
  externalName?: string;
  sessionAffinity?: 'None' | 'ClientIP';
  /** Stored as written; Kubernetes networking fields the mesh does not interpret. */
  sessionAffinityConfig?: Record<string, unknown>;
  externalIPs?: string[];
  externalTrafficPolicy?: 'Cluster' | 'Local';
  internalTrafficPolicy?: 'Cluster' | 'Local';
  ipFamilies?: ('IPv4' | 'IPv6')[];
  ipFamilyPolicy?: 'SingleStack' | 'PreferDualStack' | 'RequireDualStack';
  loadBalancerIP?: string;
  loadBalancerClass?: string;
  loadBalancerSourceRanges?: string[];
  allocateLoadBalancerNodePorts?: boolean;
  healthCheckNodePort?: number;
  publishNotReadyAddresses?: boolean;
  trafficDistribution?: string;
}

/** An address of an Endpoints subset. */
export interface EndpointAddress {
  ip: string;
  hostname?: string;
  nodeName?: string;
  targetRef?: {
    apiVersion?: string;
    kind?: string;
    name?: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    fieldPath?: string;
  };
}

/** A port of an Endpoints subset. */
export interface EndpointPort {
  name?: string;
  port: number;
  protocol?: 'TCP' | 'UDP' | 'SCTP';
  appProtocol?: string;
}

/** A group of addresses sharing ports. */
export interface EndpointSubset {
  addresses?: EndpointAddress[];
  notReadyAddresses?: EndpointAddress[];
  ports?: EndpointPort[];
}

/**
 * Kubernetes `Endpoints` has no `spec`: `subsets` sits at the top level. The store keeps it in
 * `spec` so every resource has one shape; documents may use either form (see `normalizeDocument`).
 */
export interface EndpointsSpec {
  subsets?: EndpointSubset[];
}

/** Backend of an Ingress path. */
export interface IngressBackend {
  service?: { name: string; port?: { number?: number; name?: string } };
  resource?: { apiGroup?: string; kind: string; name: string };
}

/** One HTTP path of an Ingress rule. */
export interface IngressPath {
  path?: string;
  pathType: 'Exact' | 'Prefix' | 'ImplementationSpecific';
  backend: IngressBackend;
}

/** `spec` of a `networking.k8s.io/v1` Ingress. */
export interface IngressSpec {
  ingressClassName?: string;
  defaultBackend?: IngressBackend;
  tls?: { hosts?: string[]; secretName?: string }[];
  rules?: { host?: string; http?: { paths: IngressPath[] } }[];
}
