/** JSON Schemas of the Kubernetes specs; they mirror `resources/kubernetes.ts`. */
import {
  arr,
  int,
  intOrString,
  map,
  nonEmpty,
  obj,
  oneOfStrings,
  port,
  type Schema,
  str,
} from './builders.js';

const protocol = oneOfStrings(['TCP', 'UDP', 'SCTP']);
/** DNS-1123 label, as Kubernetes requires for port names. */
const portName = str({ pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', maxLength: 63 });

/** Service spec. */
export const serviceSpec: Schema = obj({
  selector: map(),
  ports: arr(
    obj(
      {
        name: portName,
        port: port(),
        targetPort: intOrString(),
        protocol,
        appProtocol: str(),
        nodePort: int(1, 65535),
      },
      ['port'],
    ),
  ),
  type: oneOfStrings(['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName']),
  clusterIP: str(),
  clusterIPs: arr(str()),
  externalName: str(),
  sessionAffinity: oneOfStrings(['None', 'ClientIP']),
  sessionAffinityConfig: { type: 'object' },
  externalIPs: arr(str()),
  externalTrafficPolicy: oneOfStrings(['Cluster', 'Local']),
  internalTrafficPolicy: oneOfStrings(['Cluster', 'Local']),
  ipFamilies: arr(oneOfStrings(['IPv4', 'IPv6'])),
  ipFamilyPolicy: oneOfStrings(['SingleStack', 'PreferDualStack', 'RequireDualStack']),
  loadBalancerIP: str(),
  loadBalancerClass: str(),
  loadBalancerSourceRanges: arr(str()),
  allocateLoadBalancerNodePorts: { type: 'boolean' },
  healthCheckNodePort: int(1, 65535),
  publishNotReadyAddresses: { type: 'boolean' },
  trafficDistribution: str(),
});

const address = obj(
  {
    ip: nonEmpty(),
    hostname: str(),
    nodeName: str(),
    targetRef: obj({
      apiVersion: str(),
      kind: str(),
      name: str(),
      namespace: str(),
      uid: str(),
      resourceVersion: str(),
      fieldPath: str(),
    }),
  },
  ['ip'],
);

/** Endpoints spec (Kubernetes keeps `subsets` at the top level; we normalise it under `spec`). */
export const endpointsSpec: Schema = obj({
  subsets: arr(
    obj({
      addresses: arr(address),
      notReadyAddresses: arr(address),
      ports: arr(obj({ name: portName, port: port(), protocol, appProtocol: str() }, ['port'])),
    }),
  ),
});

const backend = obj({
  service: obj({ name: nonEmpty(), port: obj({ number: port(), name: str() }) }, ['name']),
  resource: obj({ apiGroup: str(), kind: nonEmpty(), name: nonEmpty() }, ['kind', 'name']),
});

/** Ingress spec (networking.k8s.io/v1). */
export const ingressSpec: Schema = obj({
  ingressClassName: str(),
  defaultBackend: backend,
  tls: arr(obj({ hosts: arr(str()), secretName: str() })),
  rules: arr(
    obj({
      host: str(),
      http: obj(
        {
          paths: arr(
            obj(
              { path: str(), pathType: oneOfStrings(['Exact', 'Prefix', 'ImplementationSpecific']), backend },
              ['pathType', 'backend'],
            ),
            { minItems: 1 },
          ),
        },
        ['paths'],
      ),
    }),
  ),
});
