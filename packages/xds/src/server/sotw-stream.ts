import type { DiscoveryRequest } from '../protocol/messages.js';
import { isWildcardType } from '../type-urls.js';
import { AdsStreamBase } from './ads-stream-base.js';
import { contentKey, responseBody, wholeSet } from './response-bytes.js';
import { changedSince, type PreparedResource, type PreparedTypeSnapshot } from './snapshot.js';
import { newTypeState, type TypeState } from './sotw-type-state.js';

/**
 * One StreamAggregatedResources (state of the world) stream: per type URL, the subscription, the
 * latest nonce and the versions sent, ACKed and NACKed.
 */
export class SotwStream extends AdsStreamBase<DiscoveryRequest, TypeState> {
  readonly delta = false;

  /** Handles one request from the client. */
  onRequest(request: DiscoveryRequest): void {
    const typeUrl = this.admit(request);
    if (typeUrl === undefined) return;
    let state = this.types.get(typeUrl);
    if (!state) {
      state = this.subscribe(typeUrl, request);
      this.push(typeUrl, state, true);
      return;
    }
    if (request.response_nonce !== state.nonce) {
      // Stale: it answers a response that has a successor in flight, so its ACK/NACK is
      // outdated and it gets no response. Its resource names are still the client's latest;
      // keeping them means a client that is always one push behind (constant churn) still
      // gets its subscription change honoured by the next response instead of never.
      if (this.resubscribe(typeUrl, state, request)) state.subscriptionChanged = true;
      return;
    }
    // An empty nonce answers nothing: it only (re)states the subscription.
    if (request.response_nonce !== '') this.settle(typeUrl, state, request);
    const changed = this.resubscribe(typeUrl, state, request) || state.subscriptionChanged;
    if (changed) this.push(typeUrl, state, true);
  }

  private subscribe(typeUrl: string, request: DiscoveryRequest): TypeState {
    const state = newTypeState();
    this.addType(typeUrl, state);
    this.resubscribe(typeUrl, state, request);
    return state;
  }

  /** Applies the resource names of a request; true when the subscription changed. */
  private resubscribe(typeUrl: string, state: TypeState, request: DiscoveryRequest): boolean {
    // The same names, byte for byte, as the request before: applying them again changes nothing.
    const bytes = request.resource_names_bytes;
    if (bytes && state.namesBytes && sameBytes(bytes, state.namesBytes)) return false;
    state.namesBytes = bytes && Buffer.from(bytes); // a copy: the request's buffer is not kept
    const names = request.resource_names;
    // Most requests are ACKs restating the subscription: tell that without building a set.
    let explicitWildcard = false;
    let held = true;
    for (const name of names) {
      if (name === '*') explicitWildcard = true;
      else if (held && !state.names.has(name)) held = false;
    }
    if (names.length > 0 && !(names.length === 1 && explicitWildcard)) state.everNamed = true;
    const wildcard = explicitWildcard || (names.length === 0 && isWildcardType(typeUrl) && !state.everNamed);
    const count = explicitWildcard ? names.length - 1 : names.length;
    // Every name is held and as many as held (a repeated name makes it take the long way).
    if (held && count === state.names.size && wildcard === state.wildcard) return false;
    const named = new Set(names);
    named.delete('*');
    let changed = wildcard !== state.wildcard || named.size !== state.names.size;
    for (const name of named) changed ||= !state.names.has(name);
    state.wildcard = wildcard;
    state.names = named;
    return changed;
  }

  private settle(typeUrl: string, state: TypeState, request: DiscoveryRequest): void {
    if (request.error_detail) {
      const base = {
        nodeId: this.node!.id,
        streamId: this.id,
        delta: false,
        typeUrl,
        nonce: request.response_nonce,
      };
      // Remember the rejected version so the same content is not pushed again in a loop.
      state.nack = { version: state.sentVersion, message: request.error_detail.message };
      // The client kept older copies of what it rejected: resend those with the next change.
      state.rejectedContent = state.sentContent;
      state.lastSnapshot = undefined;
      for (const r of state.lastSent) state.held.delete(r.name);
      this.host.emit('nack', {
        ...base,
        version: state.sentVersion,
        lastGoodVersion: request.version_info,
        errorCode: request.error_detail.code,
        errorMessage: request.error_detail.message,
      });
      return;
    }
    state.ackedVersion = request.version_info;
    state.nack = undefined;
    state.rejectedContent = undefined;
    this.host.emit('ack', {
      nodeId: this.node!.id,
      streamId: this.id,
      delta: false,
      typeUrl,
      nonce: request.response_nonce,
      version: request.version_info,
    });
  }

  pushAll(): void {
    for (const typeUrl of this.typesInPushOrder()) {
      const state = this.types.get(typeUrl)!;
      this.push(typeUrl, state, false);
    }
  }

  /**
   * Sends what the stream lacks of the type: for LDS/CDS (and wildcard subscriptions) the whole
   * subscribed set when it differs from what was last sent; for named types only the resources
   * that changed, as the xDS protocol allows for every type but Listener and Cluster. `force`
   * (first request, subscription change) sends the whole subscribed set even when unchanged.
   */
  private push(typeUrl: string, state: TypeState, force: boolean): void {
    if (this.closed || !this.node) return;
    if (this.blocked) {
      if (force) state.subscriptionChanged = true; // answered after the drain
      return;
    }
    force ||= state.subscriptionChanged;
    const typeSnapshot = this.host.snapshotFor(this.node.id)?.types.get(typeUrl);
    if (!typeSnapshot || (!force && typeSnapshot === state.lastSnapshot)) return;
    const last = state.lastSnapshot;
    state.lastSnapshot = typeSnapshot;
    if (!force && !state.wildcard && !isWildcardType(typeUrl)) {
      this.pushChanged(state, typeSnapshot, changedSince(typeSnapshot, last));
      return;
    }
    const whole = state.wildcard ? wholeSet(typeSnapshot) : undefined;
    const selected = whole ? whole.resources : this.select(state, typeSnapshot.resources);
    const content = whole ? whole.key : contentKey(selected);
    if (!force && content === state.sentContent) {
      this.markCurrent(state, typeSnapshot);
      return;
    }
    state.held.clear();
    if (!whole) for (const r of selected) state.held.set(r.name, r);
    this.send(state, typeSnapshot, selected, content, whole?.names);
  }

  /**
   * A named, non-LDS/CDS type: sends only the subscribed resources whose version moved. `since`,
   * when the snapshot was built from the one the stream last caught up with, names all that can
   * have moved: a change to one of sixty assignments looks at one name, not sixty.
   */
  private pushChanged(
    state: TypeState,
    typeSnapshot: PreparedTypeSnapshot,
    since: ReadonlySet<string> | undefined,
  ): void {
    const changed: PreparedResource[] = [];
    const candidates = since && since.size < state.names.size ? since : state.names;
    for (const name of candidates) {
      if (candidates !== state.names && !state.names.has(name)) continue;
      const resource = typeSnapshot.resources.get(name);
      const had = state.held.get(name);
      // Gone from the snapshot: forget it, so it is sent again should it come back.
      if (!resource) state.held.delete(name);
      else if (had === undefined || (had !== resource && had.version !== resource.version))
        changed.push(resource);
    }
    if (changed.length === 0) {
      this.markCurrent(state, typeSnapshot);
      return;
    }
    const content = contentKey(changed);
    if (content === state.rejectedContent) {
      // Exactly what the client just rejected: not sent, and not held, so the next change
      // compares every name again.
      state.lastSnapshot = undefined;
      return;
    }
    for (const r of changed) state.held.set(r.name, r);
    this.send(state, typeSnapshot, changed, content, undefined);
  }

  /** Nothing to send: the stream is current at the snapshot's version (unless it NACKed). */
  private markCurrent(state: TypeState, typeSnapshot: PreparedTypeSnapshot): void {
    if (typeSnapshot.version === state.currentVersion || state.nack) return;
    state.currentVersion = typeSnapshot.version;
    this.host.emit('current', {
      nodeId: this.node!.id,
      streamId: this.id,
      delta: false,
      typeUrl: typeSnapshot.typeUrl,
      version: typeSnapshot.version,
    });
  }

  private send(
    state: TypeState,
    typeSnapshot: PreparedTypeSnapshot,
    resources: readonly PreparedResource[],
    content: string,
    names: readonly string[] | undefined,
  ): void {
    const body = responseBody(typeSnapshot, content, resources, false);
    const response = this.host.responses.forStream(body, false, state.nonceSeq);
    const nonce = response.nonce;
    state.nonce = nonce;
    state.nonceSeq = response.seq;
    state.sentVersion = typeSnapshot.version;
    state.currentVersion = typeSnapshot.version;
    state.sentContent = content;
    state.lastSent = resources;
    state.subscriptionChanged = false;
    this.write(response.bytes);
    this.host.emit('push', {
      nodeId: this.node!.id,
      streamId: this.id,
      delta: false,
      typeUrl: typeSnapshot.typeUrl,
      version: typeSnapshot.version,
      nonce,
      resourceNames: names ? [...names] : resources.map((r) => r.name),
      removedNames: [],
    });
  }

  private select(state: TypeState, resources: ReadonlyMap<string, PreparedResource>): PreparedResource[] {
    const out: PreparedResource[] = [];
    for (const name of state.names) {
      const resource = resources.get(name);
      if (resource) out.push(resource);
    }
    return out;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.length).equals(b);
}
