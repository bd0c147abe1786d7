/**
 * Test helper: resources as the store hands them to the translator, with the server-side metadata
 * it stamps (version, uid, creation time). Each one is created a second after the previous, so
 * "oldest wins" rules see them in the order a test builds them.
 */
import type { StoredResource } from '../resources/resource.js';

let seq = 0;

/** A stored `kind` named `name` (core `v1` for Service and Endpoints, Istio `v1` otherwise). */
export function storedResource(
  kind: string,
  name: string,
  spec: unknown,
  namespace = 'default',
): StoredResource {
  seq++;
  return {
    apiVersion: kind === 'Service' || kind === 'Endpoints' ? 'v1' : 'networking.istio.io/v1',
    kind,
    metadata: {
      name,
      namespace,
      resourceVersion: String(seq),
      uid: `uid-${seq}`,
      generation: 1,
      creationTimestamp: new Date(Date.UTC(2026, 0, 1) + seq * 1000).toISOString(),
    },
    spec,
  };
}
