/**
 * Encoded responses shared between streams. A push sends the same resources to every stream of
 * the nodes that share a prepared snapshot; only the nonce (and the fields after it) differ. So
 * the leading fields — version, resources, type URL — are encoded once per prepared type snapshot
 * and content, and each stream appends its nonce: one copy of the resource bytes per stream
 * instead of an encoding per stream. Field order is the one a whole encoding would produce.
 */
import protobuf from 'protobufjs';
import type { PreparedResource, PreparedTypeSnapshot } from './snapshot.js';

/** Distinct contents cached per type snapshot; beyond this responses are encoded per stream. */
const MAX_BODIES_PER_SNAPSHOT = 16;

/** Every resource of a type snapshot, in order, with the key of that content. */
export interface WholeSet {
  readonly resources: readonly PreparedResource[];
  readonly names: readonly string[];
  readonly key: string;
}

const wholeSets = new WeakMap<PreparedTypeSnapshot, WholeSet>();
const bodies = new WeakMap<PreparedTypeSnapshot, Map<string, Buffer>>();

/** The whole resource set of `snapshot` and its content key, computed once per snapshot. */
export function wholeSet(snapshot: PreparedTypeSnapshot): WholeSet {
  let set = wholeSets.get(snapshot);
  if (!set) {
    const resources = [...snapshot.resources.values()];
    set = { resources, names: resources.map((r) => r.name), key: contentKey(resources) };
    wholeSets.set(snapshot, set);
  }
  return set;
}

/** `name\0version\1…`: equal keys mean a client would receive identical resources. */
export function contentKey(resources: readonly PreparedResource[]): string {
  let key = '';
  for (const r of resources) key += `${r.name}\u0000${r.version}\u0001`;
  return key;
}

/**
 * The shared leading part of a response carrying `resources` of `snapshot` (as Anys for SotW, as
 * delta `Resource`s when `delta`): field 1 (version), repeated field 2, field 4 (type URL).
 * `key` identifies the content within the snapshot.
 */
export function responseBody(
  snapshot: PreparedTypeSnapshot,
  key: string,
  resources: readonly PreparedResource[],
  delta: boolean,
): Buffer {
  let cached = bodies.get(snapshot);
  const hit = cached?.get(key);
  if (hit) return hit;
  const writer = protobuf.Writer.create();
  if (snapshot.version) writer.uint32(0x0a).string(snapshot.version);
  for (const r of resources) writer.uint32(0x12).bytes(delta ? r.encodedDeltaResource : r.encodedAny);
  writer.uint32(0x22).string(snapshot.typeUrl);
  const body = toBuffer(writer.finish());
  if (!cached) bodies.set(snapshot, (cached = new Map()));
  if (cached.size < MAX_BODIES_PER_SNAPSHOT) cached.set(key, body);
  return body;
}

/** A SotW `DiscoveryResponse`: the shared body, then nonce (5) and control plane (6). */
export function sotwResponse(body: Buffer, nonce: string, controlPlaneId: string): Buffer {
  const writer = protobuf.Writer.create();
  writer.uint32(0x2a).string(nonce);
  if (controlPlaneId) writer.uint32(0x32).fork().uint32(0x0a).string(controlPlaneId).ldelim();
  return join(body, writer.finish());
}

/** A `DeltaDiscoveryResponse`: the shared body, then nonce (5), removed (6), control plane (7). */
export function deltaResponse(
  body: Buffer,
  nonce: string,
  removed: readonly string[],
  controlPlaneId: string,
): Buffer {
  const writer = protobuf.Writer.create();
  writer.uint32(0x2a).string(nonce);
  for (const name of removed) writer.uint32(0x32).string(name);
  if (controlPlaneId) writer.uint32(0x3a).fork().uint32(0x0a).string(controlPlaneId).ldelim();
  return join(body, writer.finish());
}

/** A whole response several streams can be written: a shared body with one nonce appended. */
export interface SharedResponse {
  readonly nonce: string;
  /** The nonce's place in the server's sequence: later responses have larger ones. */
  readonly seq: number;
  readonly bytes: Buffer;
}

/**
 * Whole responses shared between the streams of one server. The xDS protocol asks nonces to be
 * unique within a stream, not across streams, so every stream sent the same body (the same
 * resources of the same type snapshot) can be sent the same bytes with the same nonce: one
 * encoding per content instead of one per stream. Nonces never repeat within a stream: one whose
 * last response of the type came later in the sequence than the shared one (it may have been sent
 * that very response before) gets a nonce of its own.
 */
export class ResponseShare {
  private readonly sotw = new WeakMap<Buffer, SharedResponse>();
  private readonly delta = new WeakMap<Buffer, SharedResponse>();
  private seq = 0;

  constructor(
    private readonly noncePrefix: string,
    private readonly controlPlaneId: string,
  ) {}

  /**
   * The response to write on a stream whose last response of the type had `lastSeq`: the shared
   * one for `body` unless the stream may have had it already, or `removed` names make it its own.
   */
  forStream(body: Buffer, delta: boolean, lastSeq: number, removed: readonly string[] = []): SharedResponse {
    if (removed.length > 0) return this.unique(body, delta, removed);
    const cache = delta ? this.delta : this.sotw;
    let shared = cache.get(body);
    if (!shared) {
      shared = this.unique(body, delta, removed);
      cache.set(body, shared);
    }
    return shared.seq > lastSeq ? shared : this.unique(body, delta, removed);
  }

  /** A response carrying `body` under a fresh nonce (and, for delta, `removed` names). */
  private unique(body: Buffer, delta: boolean, removed: readonly string[]): SharedResponse {
    const seq = ++this.seq;
    const nonce = `${this.noncePrefix}-${seq}`;
    const bytes = delta
      ? deltaResponse(body, nonce, removed, this.controlPlaneId)
      : sotwResponse(body, nonce, this.controlPlaneId);
    return { nonce, seq, bytes };
  }
}

function join(body: Buffer, tail: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(body.length + tail.length);
  body.copy(out, 0);
  out.set(tail, body.length);
  return out;
}

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
