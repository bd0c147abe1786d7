import { createHash } from 'node:crypto';
import type { AnyMessage } from '../codec/any.js';
import { encodeMessage } from '../codec/any.js';
import { isPlainObject, type JsonObject } from '../codec/from-json.js';
import { XdsError } from '../errors.js';
import { encodeAnyMessage, encodeDeltaResource } from '../protocol/messages.js';
import { resourceNameOf, toTypeName, toTypeUrl } from '../type-urls.js';
import { ContentCache } from './content-cache.js';

/** A resource handed to a snapshot: Envoy JSON, or an Any already encoded by the caller. */
export type ResourceInput = JsonObject | AnyMessage;

/** One type's resources and the version the whole set is served under. */
export interface TypeSnapshotInput {
  version: string;
  /** By name; an array is allowed for JSON resources (names come from `name`/`cluster_name`). */
  resources: Record<string, ResourceInput> | ReadonlyMap<string, ResourceInput> | readonly JsonObject[];
}

/** What a snapshot is built from: per type URL (or alias: `lds`, `cds`, …), a versioned resource set. */
export type SnapshotInput = Record<string, TypeSnapshotInput>;

/**
 * A resource encoded once, shared by every stream and node that is served it. `version` is a
 * hash of the encoded bytes, so an unchanged resource keeps its version across snapshots (delta
 * xDS sends only resources whose version moved).
 */
export interface PreparedResource {
  readonly name: string;
  readonly typeUrl: string;
  readonly version: string;
  /** The encoded `google.protobuf.Any`, ready to be copied into a DiscoveryResponse. */
  readonly encodedAny: Uint8Array;
  /** The encoded delta `Resource` (name, version, Any). */
  readonly encodedDeltaResource: Uint8Array;
}

/** One type of a prepared snapshot. */
export interface PreparedTypeSnapshot {
  readonly typeUrl: string;
  readonly version: string;
  readonly resources: ReadonlyMap<string, PreparedResource>;
}

// Keyed by the caller's resource object: a control plane that reuses unchanged objects between
// snapshots pays the encoding once per change, not once per push.
const preparedCache = new WeakMap<object, PreparedResource>();
// Keyed by content: a control plane that builds equal resources as new objects for each node
// (the same cluster for fifty sidecars) encodes them once. Serialising a resource to make the
// key costs about a thirtieth of encoding it.
const contentCache = new ContentCache<PreparedResource>();

function isAnyInput(value: ResourceInput): value is AnyMessage {
  return (
    typeof (value as AnyMessage).type_url === 'string' && (value as AnyMessage).value instanceof Uint8Array
  );
}

function prepare(typeUrl: string, name: string, input: ResourceInput): PreparedResource {
  const cached = preparedCache.get(input);
  if (cached && cached.typeUrl === typeUrl && cached.name === name) return cached;
  const prepared = isAnyInput(input) ? prepareAny(typeUrl, name, input) : prepareJson(typeUrl, name, input);
  preparedCache.set(input, prepared);
  return prepared;
}

function prepareAny(typeUrl: string, name: string, input: AnyMessage): PreparedResource {
  if (toTypeName(input.type_url) !== toTypeName(typeUrl)) {
    throw new XdsError(
      'MESH_ERR_XDS_SNAPSHOT',
      `${toTypeName(typeUrl)}["${name}"]: Any of type ${input.type_url} in the ${typeUrl} set`,
    );
  }
  return build(typeUrl, name, input.value);
}

function prepareJson(typeUrl: string, name: string, input: JsonObject): PreparedResource {
  const label = `${toTypeName(typeUrl)}["${name}"]`;
  const own = resourceNameOf(typeUrl, input);
  if (own !== undefined && own !== name) {
    throw new XdsError(
      'MESH_ERR_XDS_SNAPSHOT',
      `${label}: resource is named "${own}" but listed as "${name}"`,
    );
  }
  const key = `${typeUrl}\u0000${name}\u0000${JSON.stringify(input, keepNonFinite)}`;
  const same = contentCache.get(key);
  if (same) return same;
  const prepared = build(typeUrl, name, encodeMessage(typeUrl, input, label));
  contentCache.set(key, prepared);
  return prepared;
}

function build(typeUrl: string, name: string, value: Uint8Array): PreparedResource {
  const encodedAny = encodeAnyMessage(typeUrl, value);
  const version = createHash('sha256').update(encodedAny).digest('base64url').slice(0, 16);
  return {
    name,
    typeUrl,
    version,
    encodedAny,
    encodedDeltaResource: encodeDeltaResource(name, version, encodedAny),
  };
}

function entries(typeUrl: string, resources: TypeSnapshotInput['resources']): Array<[string, ResourceInput]> {
  if (resources instanceof Map) return [...resources.entries()];
  if (Array.isArray(resources)) {
    return resources.map((json, i) => {
      const name = isPlainObject(json) ? resourceNameOf(typeUrl, json) : undefined;
      if (!name)
        throw new XdsError('MESH_ERR_XDS_SNAPSHOT', `${toTypeName(typeUrl)}[${i}]: resource has no name`);
      return [name, json];
    });
  }
  return Object.entries(resources as Record<string, ResourceInput>);
}

/**
 * An immutable, encoded set of resources for one node (or many: one snapshot can be set for any
 * number of nodes and its bytes are shared). Build it with {@link XdsSnapshot.from}.
 *
 * @example
 * const snapshot = XdsSnapshot.from({
 *   cds: { version: '7', resources: [{ name: 'web', type: 'EDS', eds_cluster_config: { eds_config: { ads: {} } } }] },
 *   eds: { version: '7', resources: [{ cluster_name: 'web', endpoints: [] }] },
 * });
 */
export class XdsSnapshot {
  readonly types: ReadonlyMap<string, PreparedTypeSnapshot>;

  private constructor(types: Map<string, PreparedTypeSnapshot>) {
    this.types = types;
  }

  /**
   * Validates and encodes every resource; throws `MESH_ERR_XDS_INVALID`/`MESH_ERR_XDS_SNAPSHOT`.
   * Types whose version and resources equal those of `previous` keep its type snapshot object,
   * so a push skips them per stream without comparing resources.
   */
  static from(input: SnapshotInput | XdsSnapshot, previous?: XdsSnapshot): XdsSnapshot {
    if (input instanceof XdsSnapshot) return input;
    const types = new Map<string, PreparedTypeSnapshot>();
    for (const key of Object.keys(input)) {
      const typeUrl = toTypeUrl(key);
      const { version, resources } = input[key];
      if (typeof version !== 'string') {
        throw new XdsError('MESH_ERR_XDS_SNAPSHOT', `${key}: version must be a string`);
      }
      const prepared = new Map<string, PreparedResource>();
      for (const [name, resource] of entries(typeUrl, resources)) {
        if (prepared.has(name))
          throw new XdsError('MESH_ERR_XDS_SNAPSHOT', `${key}: duplicate resource "${name}"`);
        prepared.set(name, prepare(typeUrl, name, resource));
      }
      const before = previous?.types.get(typeUrl);
      const unchanged = before && before.version === version && sameResources(before.resources, prepared);
      if (unchanged) {
        types.set(typeUrl, before);
        continue;
      }
      const typeSnapshot: PreparedTypeSnapshot = { typeUrl, version, resources: prepared };
      if (before)
        derivations.set(typeSnapshot, { from: new WeakRef(before), names: changedNames(before, prepared) });
      types.set(typeUrl, typeSnapshot);
    }
    return new XdsSnapshot(types);
  }

  /** The version of one type's set, or undefined when the snapshot does not carry the type. */
  version(typeUrl: string): string | undefined {
    return this.types.get(toTypeUrl(typeUrl))?.version;
  }
}

/**
 * The names added, changed or removed between `last` and `next` when `next` was built from `last`
 * (see {@link XdsSnapshot.from}); undefined otherwise. A stream brought up to date with `last`
 * needs to look at these names only.
 */
export function changedSince(
  next: PreparedTypeSnapshot,
  last: PreparedTypeSnapshot | undefined,
): ReadonlySet<string> | undefined {
  if (!last) return undefined;
  const derivation = derivations.get(next);
  return derivation && derivation.from.deref() === last ? derivation.names : undefined;
}

// What each type snapshot was built from (held weakly: snapshots must not keep their history).
const derivations = new WeakMap<
  PreparedTypeSnapshot,
  { from: WeakRef<PreparedTypeSnapshot>; names: ReadonlySet<string> }
>();

function changedNames(
  before: PreparedTypeSnapshot,
  after: ReadonlyMap<string, PreparedResource>,
): ReadonlySet<string> {
  const names = new Set<string>();
  for (const [name, resource] of after) if (before.resources.get(name) !== resource) names.add(name);
  for (const name of before.resources.keys()) if (!after.has(name)) names.add(name);
  return names;
}

function sameResources(
  a: ReadonlyMap<string, PreparedResource>,
  b: ReadonlyMap<string, PreparedResource>,
): boolean {
  if (a.size !== b.size) return false;
  for (const [name, resource] of b) if (a.get(name) !== resource) return false;
  return true;
}

// JSON.stringify writes NaN and ±Infinity as null, which would make them share a key with an
// absent field; keep them distinct.
function keepNonFinite(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? `\u0000${value}` : value;
}
