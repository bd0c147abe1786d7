/** The schema of every kind's `spec`, and of the envelope around it. */
import type { KindName } from '../../resources/kinds.js';
import { map, obj, type Schema, str } from './builders.js';
import {
  destinationRuleSpec,
  gatewaySpec,
  serviceEntrySpec,
  sidecarSpec,
  virtualServiceSpec,
} from './istio-networking.js';
import {
  authorizationPolicySpec,
  peerAuthenticationSpec,
  requestAuthenticationSpec,
} from './istio-security.js';
import { endpointsSpec, ingressSpec, serviceSpec } from './kubernetes.js';
import { serviceInstanceSpec } from './meshwork.js';

export type { Schema } from './builders.js';

/** Spec schema per kind. */
export const specSchemas: Readonly<Record<KindName, Schema>> = {
  VirtualService: virtualServiceSpec,
  DestinationRule: destinationRuleSpec,
  Gateway: gatewaySpec,
  ServiceEntry: serviceEntrySpec,
  Sidecar: sidecarSpec,
  AuthorizationPolicy: authorizationPolicySpec,
  PeerAuthentication: peerAuthenticationSpec,
  RequestAuthentication: requestAuthenticationSpec,
  Service: serviceSpec,
  Endpoints: endpointsSpec,
  Ingress: ingressSpec,
  ServiceInstance: serviceInstanceSpec,
};

/** DNS-1123 subdomain, Kubernetes' rule for object names and namespaces. */
export const NAME_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';

/**
 * The envelope: metadata is open (Kubernetes tooling adds fields such as `ownerReferences` that we
 * keep but do not interpret); the spec is checked by the kind's own schema.
 */
export function envelopeSchema(spec: Schema): Schema {
  return obj(
    {
      apiVersion: str(),
      kind: str(),
      metadata: {
        type: 'object',
        properties: {
          name: str({ pattern: NAME_PATTERN, maxLength: 253 }),
          namespace: str({ pattern: NAME_PATTERN, maxLength: 63 }),
          labels: map(),
          annotations: map(),
          resourceVersion: str({ pattern: '^[0-9]+$' }),
          uid: str(),
          generation: { type: 'integer' },
          // kubectl's generated manifests carry `creationTimestamp: null`.
          creationTimestamp: { type: ['string', 'null'] },
        },
        required: ['name'],
      },
      spec,
      status: { type: 'object' },
    },
    ['apiVersion', 'kind', 'metadata', 'spec'],
  );
}
