/**
 * The resource envelope every kind shares: Kubernetes-style `apiVersion`, `kind`, `metadata` and
 * `spec`. The store fills the server-side metadata (`resourceVersion`, `uid`, `generation`,
 * `creationTimestamp`); clients may send `resourceVersion` to make a write conditional.
 */

/** Kubernetes-style object metadata. */
export interface ObjectMeta {
  name: string;
  /** Defaults to `"default"` when a document omits it. */
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** Store revision of the last write to this object, as a decimal string. */
  resourceVersion?: string;
  /** Assigned on creation; stable across updates. */
  uid?: string;
  /** Incremented whenever `spec` (not metadata) changes. */
  generation?: number;
  /** RFC 3339 time of creation. */
  creationTimestamp?: string;
}

/** A stored resource of any kind. `Spec` is the kind's spec type. */
export interface Resource<Spec = unknown> {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec: Spec;
}

/** A resource as returned by the store: namespace and server-side metadata are always present. */
export interface StoredResource<Spec = unknown> extends Resource<Spec> {
  metadata: ObjectMeta & {
    namespace: string;
    resourceVersion: string;
    uid: string;
    generation: number;
    creationTimestamp: string;
  };
}

/** Identity of a resource in the store. */
export interface ResourceKey {
  kind: string;
  namespace: string;
  name: string;
}

/** The namespace a document without `metadata.namespace` lands in. */
export const DEFAULT_NAMESPACE = 'default';

/** `Kind/namespace/name`, the form errors and logs use to name a resource. */
export function formatKey(key: ResourceKey): string {
  return `${key.kind}/${key.namespace}/${key.name}`;
}

/** The store key of a resource, applying the default namespace. */
export function keyOf(resource: Resource): ResourceKey {
  return {
    kind: resource.kind,
    namespace: resource.metadata.namespace ?? DEFAULT_NAMESPACE,
    name: resource.metadata.name,
  };
}
