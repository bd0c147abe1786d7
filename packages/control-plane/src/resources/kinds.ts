/**
 * The kind registry: every kind the control plane serves, the API versions it accepts, and the
 * names it answers to in URLs and on the command line (`virtualservice`, `virtualservices`, `vs`).
 * Kind names are unique across groups, so the store keys resources by kind alone.
 */

import type {
  DestinationRuleSpec,
  GatewaySpec,
  ServiceEntrySpec,
  SidecarSpec,
  VirtualServiceSpec,
} from './istio-networking.js';
import type {
  AuthorizationPolicySpec,
  PeerAuthenticationSpec,
  RequestAuthenticationSpec,
} from './istio-security.js';
import type { EndpointsSpec, IngressSpec, ServiceSpec } from './kubernetes.js';
import type { ServiceInstanceSpec } from './meshwork.js';
import type { Resource, StoredResource } from './resource.js';

/** Spec type of each kind, for typed accessors. */
export interface KindSpecs {
  VirtualService: VirtualServiceSpec;
  DestinationRule: DestinationRuleSpec;
  Gateway: GatewaySpec;
  ServiceEntry: ServiceEntrySpec;
  Sidecar: SidecarSpec;
  AuthorizationPolicy: AuthorizationPolicySpec;
  PeerAuthentication: PeerAuthenticationSpec;
  RequestAuthentication: RequestAuthenticationSpec;
  Service: ServiceSpec;
  Endpoints: EndpointsSpec;
  Ingress: IngressSpec;
  ServiceInstance: ServiceInstanceSpec;
}

/** Name of a kind the control plane serves. */
export type KindName = keyof KindSpecs;

/** A VirtualService as stored. */
export type VirtualService = StoredResource<VirtualServiceSpec>;
/** A DestinationRule as stored. */
export type DestinationRule = StoredResource<DestinationRuleSpec>;
/** A Gateway as stored. */
export type Gateway = StoredResource<GatewaySpec>;
/** A ServiceEntry as stored. */
export type ServiceEntry = StoredResource<ServiceEntrySpec>;
/** A Sidecar as stored. */
export type Sidecar = StoredResource<SidecarSpec>;
/** A Kubernetes Service as stored. */
export type Service = StoredResource<ServiceSpec>;
/** Kubernetes Endpoints as stored (`subsets` moved under `spec`). */
export type Endpoints = StoredResource<EndpointsSpec>;
/** A `networking.k8s.io/v1` Ingress as stored. */
export type Ingress = StoredResource<IngressSpec>;
/** A `meshwork.dev/v1alpha1` ServiceInstance as stored. */
export type ServiceInstance = StoredResource<ServiceInstanceSpec>;

/** What the registry knows about one kind. */
export interface KindInfo {
  kind: KindName;
  /** API group; `''` for the Kubernetes core group (`apiVersion: v1`). */
  group: string;
  versions: readonly string[];
  /** Lower-case plural, as in Kubernetes URLs. */
  plural: string;
  shortNames: readonly string[];
  /** Translated into proxy configuration by this control plane (others are stored only). */
  translated: boolean;
}

const NETWORKING_VERSIONS = ['v1alpha3', 'v1beta1', 'v1'] as const;
const SECURITY_VERSIONS = ['v1beta1', 'v1'] as const;

/** Every kind served, in the order `get all` lists them. */
export const KINDS: readonly KindInfo[] = [
  kindInfo('Service', '', ['v1'], 'services', ['svc'], true),
  kindInfo('Endpoints', '', ['v1'], 'endpoints', ['ep'], true),
  kindInfo('ServiceEntry', 'networking.istio.io', NETWORKING_VERSIONS, 'serviceentries', ['se'], true),
  kindInfo('DestinationRule', 'networking.istio.io', NETWORKING_VERSIONS, 'destinationrules', ['dr'], true),
  kindInfo('VirtualService', 'networking.istio.io', NETWORKING_VERSIONS, 'virtualservices', ['vs'], true),
  kindInfo('Gateway', 'networking.istio.io', NETWORKING_VERSIONS, 'gateways', ['gw'], true),
  kindInfo('Sidecar', 'networking.istio.io', NETWORKING_VERSIONS, 'sidecars', [], true),
  kindInfo(
    'AuthorizationPolicy',
    'security.istio.io',
    SECURITY_VERSIONS,
    'authorizationpolicies',
    ['ap'],
    false,
  ),
  kindInfo(
    'PeerAuthentication',
    'security.istio.io',
    SECURITY_VERSIONS,
    'peerauthentications',
    ['pa'],
    false,
  ),
  kindInfo(
    'RequestAuthentication',
    'security.istio.io',
    SECURITY_VERSIONS,
    'requestauthentications',
    ['ra'],
    false,
  ),
  kindInfo('Ingress', 'networking.k8s.io', ['v1'], 'ingresses', ['ing'], false),
  kindInfo('ServiceInstance', 'meshwork.dev', ['v1alpha1'], 'serviceinstances', ['si'], true),
];

function kindInfo(
  kind: KindName,
  group: string,
  versions: readonly string[],
  plural: string,
  shortNames: string[],
  translated: boolean,
): KindInfo {
  return { kind, group, versions, plural, shortNames, translated };
}

const byAlias = new Map<string, KindInfo>();
for (const info of KINDS) {
  for (const alias of [info.kind.toLowerCase(), info.plural, ...info.shortNames]) byAlias.set(alias, info);
}
const byKind = new Map<string, KindInfo>(KINDS.map((k) => [k.kind, k]));

/** Looks a kind up by any name it answers to (case-insensitive); `undefined` when unknown. */
export function lookupKind(name: string): KindInfo | undefined {
  return byKind.get(name) ?? byAlias.get(name.toLowerCase());
}

/** The `apiVersion` strings a kind accepts (`networking.istio.io/v1beta1`, `v1`, …). */
export function apiVersionsOf(info: KindInfo): string[] {
  return info.versions.map((v) => (info.group ? `${info.group}/${v}` : v));
}

/** The preferred `apiVersion` of a kind (its newest version). */
export function preferredApiVersion(info: KindInfo): string {
  const v = info.versions[info.versions.length - 1];
  return info.group ? `${info.group}/${v}` : v;
}

/** True when `apiVersion` is one `info` accepts. */
export function acceptsApiVersion(info: KindInfo, apiVersion: string): boolean {
  const slash = apiVersion.lastIndexOf('/');
  const group = slash < 0 ? '' : apiVersion.slice(0, slash);
  const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
  return group === info.group && info.versions.includes(version);
}

/**
 * Narrows a resource to a kind, for typed access to its spec.
 *
 * @example
 * if (isKind(r, 'VirtualService')) for (const h of r.spec.http ?? []) ...
 */
export function isKind<K extends KindName>(
  resource: Resource,
  kind: K,
): resource is StoredResource<KindSpecs[K]> {
  return resource.kind === kind;
}

/** Filters resources to one kind, typed. */
export function ofKind<K extends KindName>(
  resources: Iterable<Resource>,
  kind: K,
): StoredResource<KindSpecs[K]>[] {
  const out: StoredResource<KindSpecs[K]>[] = [];
  for (const r of resources) if (isKind(r, kind)) out.push(r);
  return out;
}
