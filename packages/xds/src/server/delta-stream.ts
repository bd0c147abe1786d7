import type { DeltaDiscoveryRequest } from '../protocol/messages.js';
import { isWildcardType } from '../type-urls.js';
import { AdsStreamBase } from './ads-stream-base.js';
import { ABSENT, DeltaLedger } from './delta-ledger.js';
import { responseBody } from './response-bytes.js';
import { changedSince, type PreparedResource, type PreparedTypeSnapshot } from './snapshot.js';

interface TypeState {
  wildcard: boolean;
  names: Set<string>;
  /** What the client holds, confirmed and in flight. */
  ledger: DeltaLedger;
  /**
   * What the last rejected response carried: the same delta is not sent again, but what came
   * with it is resent once anything else changes — a NACK rejects a response, not each
   * resource in it.
   */
  rejectedContent: string | undefined;
  initialSent: boolean;
  /** The sequence number of the last response's nonce (see ResponseShare). */
  nonceSeq: number;
  sentVersion: string;
  ackedVersion: string;
  nack?: { version: string; message: string };
  /** The type snapshot the stream was last brought up to date with: unchanged, nothing to do. */
  lastSnapshot: PreparedTypeSnapshot | undefined;
}

/**
 * One DeltaAggregatedResources (incremental) stream: per type, the subscribed names, the
 * versions the client holds, and the responses awaiting an ACK by nonce.
 */
export class DeltaStream extends AdsStreamBase<DeltaDiscoveryRequest, TypeState> {
  readonly delta = true;

  /** Handles one request from the client. */
  onRequest(request: DeltaDiscoveryRequest): void {
    const typeUrl = this.admit(request);
    if (typeUrl === undefined) return;
    let state = this.types.get(typeUrl);
    if (!state) {
      state = this.newState(typeUrl, request);
      this.addType(typeUrl, state);
    }
    const rejected = request.response_nonce !== '' && this.settle(typeUrl, state, request);
    // Subscription changes are deltas: unlike SotW they are applied even with a stale nonce.
    const changed = this.applySubscription(state, request);
    // After a NACK the client is back on older versions: send what it now lacks (unless that is
    // exactly the rejected delta again).
    if (changed || rejected || !state.initialSent) this.push(typeUrl, state);
  }

  private newState(typeUrl: string, request: DeltaDiscoveryRequest): TypeState {
    const subscribe = request.resource_names_subscribe;
    return {
      wildcard: subscribe.length === 0 && isWildcardType(typeUrl),
      names: new Set(),
      ledger: new DeltaLedger(request.initial_resource_versions),
      rejectedContent: undefined,
      initialSent: false,
      nonceSeq: 0,
      sentVersion: '',
      ackedVersion: '',
      lastSnapshot: undefined,
    };
  }

  private applySubscription(state: TypeState, request: DeltaDiscoveryRequest): boolean {
    let changed = false;
    if (request.resource_names_subscribe.length > 0 || request.resource_names_unsubscribe.length > 0)
      state.lastSnapshot = undefined;
    for (const name of request.resource_names_subscribe) {
      if (name === '*') {
        changed = changed || !state.wildcard;
        state.wildcard = true;
        continue;
      }
      // Subscribing again to a held name asks for it again (a client that lost its copy).
      if (state.names.has(name)) state.ledger.forget(name);
      state.names.add(name);
      changed = true;
    }
    for (const name of request.resource_names_unsubscribe) {
      if (name === '*') {
        // Leaving the wildcard, the client drops whatever it did not also name.
        state.wildcard = false;
        for (const held of [...state.ledger.known.keys()])
          if (!state.names.has(held)) state.ledger.forget(held);
        continue;
      }
      state.names.delete(name);
      // The client forgets what it unsubscribed from; a later subscribe must resend it.
      state.ledger.forget(name);
    }
    return changed;
  }

  /** Applies an ACK or NACK; true when it was a NACK of a known response. */
  private settle(typeUrl: string, state: TypeState, request: DeltaDiscoveryRequest): boolean {
    const nonce = request.response_nonce;
    const wants = (name: string) => wanted(state, name);
    const base = { nodeId: this.node!.id, streamId: this.id, delta: true, typeUrl, nonce };
    if (request.error_detail) {
      const delta = state.ledger.nack(nonce, wants);
      if (!delta) return false;
      state.lastSnapshot = undefined;
      state.rejectedContent = delta.content;
      state.nack = { version: delta.version, message: request.error_detail.message };
      this.host.emit('nack', {
        ...base,
        version: delta.version,
        lastGoodVersion: state.ackedVersion,
        errorCode: request.error_detail.code,
        errorMessage: request.error_detail.message,
      });
      return true;
    }
    const delta = state.ledger.ack(nonce, wants);
    if (!delta) return false;
    state.rejectedContent = undefined;
    state.ackedVersion = delta.version;
    state.nack = undefined;
    this.host.emit('ack', { ...base, version: delta.version });
    return false;
  }

  pushAll(): void {
    for (const typeUrl of this.typesInPushOrder()) {
      const state = this.types.get(typeUrl)!;
      // A type whose snapshot object is the one this stream last pushed has nothing new.
      if (
        state.lastSnapshot &&
        state.lastSnapshot === this.host.snapshotFor(this.node!.id)?.types.get(typeUrl)
      )
        continue;
      this.push(typeUrl, state);
    }
  }

  private push(typeUrl: string, state: TypeState): void {
    if (this.closed || !this.node || this.blocked) return;
    const typeSnapshot = this.host.snapshotFor(this.node.id)?.types.get(typeUrl);
    if (!typeSnapshot) return;
    const since = changedSince(typeSnapshot, state.lastSnapshot);
    state.lastSnapshot = typeSnapshot;
    const { updated, removed } = this.diff(state, typeSnapshot, since);
    if (updated.length === 0 && removed.length === 0 && state.initialSent) {
      // Nothing differs from what the client holds: it is current at this version.
      if (typeSnapshot.version !== state.sentVersion) {
        state.sentVersion = typeSnapshot.version;
        this.host.emit('current', {
          nodeId: this.node.id,
          streamId: this.id,
          delta: true,
          typeUrl,
          version: typeSnapshot.version,
        });
      }
      return;
    }
    const content = deltaContent(typeSnapshot, updated, removed);
    if (content === state.rejectedContent) {
      // Exactly what was just rejected: not sent, so the next change compares every name again.
      state.lastSnapshot = undefined;
      return;
    }
    this.send(typeUrl, state, typeSnapshot, updated, removed, content);
  }

  private send(
    typeUrl: string,
    state: TypeState,
    typeSnapshot: PreparedTypeSnapshot,
    updated: string[],
    removed: string[],
    content: string,
  ): void {
    // Streams sent the same resources from the same snapshot share the encoded body and, when
    // nothing is removed, the whole response and its nonce.
    const resources: PreparedResource[] = updated.map((name) => typeSnapshot.resources.get(name)!);
    const body = responseBody(typeSnapshot, content, resources, true);
    const response = this.host.responses.forStream(body, true, state.nonceSeq, removed);
    const nonce = response.nonce;
    state.nonceSeq = response.seq;
    const updates = new Map<string, string>();
    for (const name of updated) updates.set(name, typeSnapshot.resources.get(name)!.version);
    const removals = new Map<string, boolean>();
    for (const name of removed) removals.set(name, state.names.has(name));
    state.ledger.sent(nonce, { version: typeSnapshot.version, updates, removals, content }, (name) =>
      wanted(state, name),
    );
    state.initialSent = true;
    state.sentVersion = typeSnapshot.version;
    this.write(response.bytes);
    this.host.emit('push', {
      nodeId: this.node!.id,
      streamId: this.id,
      delta: true,
      typeUrl,
      version: typeSnapshot.version,
      nonce,
      resourceNames: updated,
      removedNames: removed,
    });
  }

  /**
   * Names to send (new or changed for the client) and names to report removed. Pure. `since`,
   * when the snapshot was built from the one the stream last caught up with, names all that can
   * differ from what the client holds.
   */
  private diff(
    state: TypeState,
    snapshot: PreparedTypeSnapshot,
    since: ReadonlySet<string> | undefined,
  ): { updated: string[]; removed: string[] } {
    const updated: string[] = [];
    const removed: string[] = [];
    const consider = (name: string) => {
      const resource = snapshot.resources.get(name);
      if (resource) {
        if (state.ledger.known.get(name) !== resource.version) updated.push(name);
      } else if (state.ledger.known.get(name) !== ABSENT) {
        // Gone, or never existed: say so once, so the client does not wait for it.
        if (state.ledger.known.has(name) || state.names.has(name)) removed.push(name);
      }
    };
    if (since) {
      for (const name of since) {
        if (snapshot.resources.has(name)) {
          if (wanted(state, name)) consider(name);
        } else if (state.names.has(name)) consider(name);
        else if (state.ledger.known.has(name) && state.ledger.known.get(name) !== ABSENT) removed.push(name);
      }
      return { updated, removed };
    }
    if (state.wildcard) for (const name of snapshot.resources.keys()) consider(name);
    for (const name of state.names) if (!state.wildcard || !snapshot.resources.has(name)) consider(name);
    for (const name of state.ledger.known.keys()) {
      if (!snapshot.resources.has(name) && !state.names.has(name) && state.ledger.known.get(name) !== ABSENT)
        removed.push(name);
    }
    return { updated, removed };
  }
}

function deltaContent(snapshot: PreparedTypeSnapshot, updated: string[], removed: string[]): string {
  let key = '';
  for (const name of updated) key += `${name}@${snapshot.resources.get(name)!.version}\u0001`;
  for (const name of removed) key += `-${name}\u0001`;
  return key;
}

function wanted(state: TypeState, name: string): boolean {
  return state.wildcard || state.names.has(name);
}
