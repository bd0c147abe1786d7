import { createHash } from 'node:crypto';
import { decodeAny } from '../codec/any.js';
import type { JsonObject } from '../codec/from-json.js';
import { XdsCodecError } from '../errors.js';
import type { DeltaDiscoveryResponse, DiscoveryResponse } from '../protocol/messages.js';
import { lookupMessageType } from '../protos.js';
import { isWildcardType, resourceNameOf } from '../type-urls.js';
import type { XdsUpdate } from './update.js';

/** What the client holds and asks for, for one resource type. */
export interface WatchState {
  typeUrl: string;
  wildcard: boolean;
  names: Set<string>;
  /** Last accepted version (sent back on ACK, NACK and reconnect). */
  version: string;
  /** Latest nonce received on the current stream. */
  nonce: string;
  /** Whether any response for the type was accepted yet. */
  synced: boolean;
  /** The last good resources. */
  resources: Map<string, JsonObject>;
  /**
   * Per resource, what identifies its content: a hash of its bytes (SotW) or the server's
   * version (delta). A hash, not the bytes: slices would pin whole response buffers in memory.
   */
  fingerprints: Map<string, string>;
}

/** A decoded response not yet accepted: what the state becomes if the consumer accepts it. */
export interface Candidate {
  update: XdsUpdate;
  fingerprints: Map<string, string>;
}

/** Creates the state of a new watch. */
export function newWatch(typeUrl: string, wildcard: boolean, names: Iterable<string>): WatchState {
  return {
    typeUrl,
    wildcard,
    names: new Set(names),
    version: '',
    nonce: '',
    synced: false,
    resources: new Map(),
    fingerprints: new Map(),
  };
}

function hashOf(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('base64url').slice(0, 22);
}

function decodeNamed(
  typeUrl: string,
  any: { type_url: string; value: Uint8Array },
  index: number,
): [string, JsonObject] {
  if (any.type_url !== typeUrl) {
    throw new XdsCodecError(
      `resources[${index}]`,
      `resource of type ${any.type_url} in a ${typeUrl} response`,
    );
  }
  // Extensions this process has no proto for stay packed: the consumer accepts them (Envoy's
  // `is_optional`) or rejects them, as it does for loaded types it does not support.
  const json = decodeAny(any, { opaqueUnknownAny: true });
  const name = resourceNameOf(typeUrl, json);
  if (!name) throw new XdsCodecError(`resources[${index}]`, 'resource has no name');
  return [name, json];
}

const RESOURCE_WRAPPER = 'type.googleapis.com/envoy.service.discovery.v3.Resource';

/**
 * SotW servers may wrap resources in `envoy.service.discovery.v3.Resource` (for TTLs). Returns
 * the inner Any, or undefined for a heartbeat (no body), whose held copy is carried over.
 */
function unwrap(
  watch: WatchState,
  packed: { type_url: string; value: Uint8Array },
  index: number,
  resources: Map<string, JsonObject>,
  fingerprints: Map<string, string>,
): { type_url: string; value: Uint8Array } | undefined {
  let wrapper: { name: string; resource?: { type_url: string; value: Uint8Array } | null };
  try {
    wrapper = lookupMessageType('envoy.service.discovery.v3.Resource').decode(packed.value) as any;
  } catch (err) {
    throw new XdsCodecError(`resources[${index}]`, `undecodable Resource wrapper: ${(err as Error).message}`);
  }
  if (wrapper.resource) return wrapper.resource;
  const held = watch.resources.get(wrapper.name);
  if (held) {
    resources.set(wrapper.name, held);
    fingerprints.set(wrapper.name, watch.fingerprints.get(wrapper.name)!);
  }
  return undefined;
}

/**
 * The state a state-of-the-world response leads to. For LDS/CDS a response is the complete set
 * (absent means removed); for RDS/EDS absent names are kept, as the xDS spec says.
 */
export function sotwCandidate(watch: WatchState, response: DiscoveryResponse): Candidate {
  const complete = isWildcardType(watch.typeUrl);
  const resources = new Map<string, JsonObject>();
  const fingerprints = new Map<string, string>();
  if (!complete) {
    for (const [name, json] of watch.resources) {
      if (watch.names.has(name)) {
        resources.set(name, json);
        fingerprints.set(name, watch.fingerprints.get(name)!);
      }
    }
  }
  const updated: string[] = [];
  response.resources.forEach((packed, i) => {
    const any =
      packed.type_url === RESOURCE_WRAPPER ? unwrap(watch, packed, i, resources, fingerprints) : packed;
    if (!any) return;
    const [name, json] = decodeNamed(watch.typeUrl, any, i);
    if (!watches(watch, name)) return;
    const fingerprint = hashOf(any.value);
    resources.set(name, json);
    fingerprints.set(name, fingerprint);
    if (watch.fingerprints.get(name) !== fingerprint) updated.push(name);
  });
  const removed = [...watch.resources.keys()].filter((name) => !resources.has(name));
  const update = {
    typeUrl: watch.typeUrl,
    version: response.version_info,
    resources,
    updated,
    removed,
    nonce: response.nonce,
  };
  return { update, fingerprints };
}

// A response can answer a subscription the consumer has since narrowed; what it no longer
// watches is not taken in.
function watches(watch: WatchState, name: string): boolean {
  return watch.wildcard || watch.names.has(name);
}

/** The state an incremental response leads to: upserts and removals applied to the last good set. */
export function deltaCandidate(watch: WatchState, response: DeltaDiscoveryResponse): Candidate {
  const resources = new Map(watch.resources);
  const fingerprints = new Map(watch.fingerprints);
  const updated: string[] = [];
  response.resources.forEach((resource, i) => {
    // A Resource without a body is a TTL heartbeat: the client's copy stays valid.
    if (!resource.resource || !watches(watch, resource.name)) return;
    const [, json] = decodeNamed(watch.typeUrl, resource.resource, i);
    resources.set(resource.name, json);
    if (fingerprints.get(resource.name) !== resource.version) updated.push(resource.name);
    fingerprints.set(resource.name, resource.version);
  });
  const removed: string[] = [];
  for (const name of response.removed_resources) {
    if (resources.delete(name)) removed.push(name);
    fingerprints.delete(name);
  }
  const update = {
    typeUrl: watch.typeUrl,
    version: response.system_version_info,
    resources,
    updated,
    removed,
    nonce: response.nonce,
  };
  return { update, fingerprints };
}

/** Makes an accepted candidate the last good state. */
export function commit(watch: WatchState, candidate: Candidate): void {
  watch.resources = candidate.update.resources as Map<string, JsonObject>;
  watch.fingerprints = candidate.fingerprints;
  watch.version = candidate.update.version;
  watch.synced = true;
}
