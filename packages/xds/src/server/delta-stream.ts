import * as grpc from '@grpc/grpc-js';
import {
  type DeltaDiscoveryRequest,
  encodeDeltaDiscoveryResponse,
  type XdsNode,
} from '../protocol/messages.js';
import { inPushOrder, isWildcardType } from '../type-urls.js';
import type { PreparedTypeSnapshot } from './snapshot.js';
import type { AdsStream, StreamHost, StreamTypeStatus } from './stream-host.js';

/** Marks a subscribed name the client was told does not exist. */
const ABSENT = '';
/** Unanswered responses remembered per type. */
const MAX_PENDING = 64;

interface Pending {
  version: string;
  /** Per sent name, the version the client had before (undefined: it had none). */
  previous: Map<string, string | undefined>;
}

interface TypeState {
  wildcard: boolean;
  names: Set<string>;
  /** Per resource, the version the client holds (as far as this server knows). */
  known: Map<string, string>;
  /** Per resource, a version the client rejected: not resent until it changes. */
  rejected: Map<string, string>;
  pending: Map<string, Pending>;
  initialSent: boolean;
  sentVersion: string;
  ackedVersion: string;
  nack?: { version: string; message: string };
}

/**
 * One DeltaAggregatedResources (incremental) stream: per type, the subscribed names, the
 * versions the client holds, and the responses awaiting an ACK by nonce.
 */
export class DeltaStream implements AdsStream {
  readonly delta = true;
  node: XdsNode | undefined;
  private readonly types = new Map<string, TypeState>();
  private closed = false;

  get peer(): string {
    return this.call.getPeer();
  }

  constructor(
    readonly id: number,
    private readonly host: StreamHost,
    private readonly call: grpc.ServerDuplexStream<DeltaDiscoveryRequest, Buffer>,
  ) {}

  /** Handles one request from the client. */
  onRequest(request: DeltaDiscoveryRequest): void {
    if (this.closed) return;
    if (!this.node) {
      if (!request.node?.id) {
        this.fail('the first request must carry node.id');
        return;
      }
      if (!this.host.authorize(request.node, this.call as grpc.ServerDuplexStream<unknown, unknown>)) {
        this.fail(`peer may not act as node ${request.node.id}`, grpc.status.PERMISSION_DENIED);
        return;
      }
      this.node = request.node;
      this.host.attach(this);
    }
    const typeUrl = request.type_url;
    if (!typeUrl) {
      this.fail('ADS requests must carry type_url');
      return;
    }
    let state = this.types.get(typeUrl);
    if (!state) {
      state = this.newState(typeUrl, request);
      this.types.set(typeUrl, state);
    }
    if (request.response_nonce) this.settle(typeUrl, state, request);
    // Subscription changes are deltas: unlike SotW they are applied even with a stale nonce.
    const changed = this.applySubscription(state, request);
    if (changed || !state.initialSent) this.push(typeUrl, state);
  }

  private newState(typeUrl: string, request: DeltaDiscoveryRequest): TypeState {
    const subscribe = request.resource_names_subscribe;
    return {
      wildcard: subscribe.length === 0 && isWildcardType(typeUrl),
      names: new Set(),
      known: new Map(Object.entries(request.initial_resource_versions)),
      rejected: new Map(),
      pending: new Map(),
      initialSent: false,
      sentVersion: '',
      ackedVersion: '',
    };
  }

  private applySubscription(state: TypeState, request: DeltaDiscoveryRequest): boolean {
    let changed = false;
    for (const name of request.resource_names_subscribe) {
      if (name === '*') {
        changed = changed || !state.wildcard;
        state.wildcard = true;
        continue;
      }
      // Subscribing again to a held name asks for it again (a client that lost its copy).
      if (state.names.has(name)) state.known.delete(name);
      state.names.add(name);
      changed = true;
    }
    for (const name of request.resource_names_unsubscribe) {
      if (name === '*') {
        // Leaving the wildcard, the client drops whatever it did not also name.
        state.wildcard = false;
        for (const held of [...state.known.keys()]) if (!state.names.has(held)) state.known.delete(held);
        continue;
      }
      state.names.delete(name);
      // The client forgets what it unsubscribed from; a later subscribe must resend it.
      state.known.delete(name);
      state.rejected.delete(name);
    }
    return changed;
  }

  private settle(typeUrl: string, state: TypeState, request: DeltaDiscoveryRequest): void {
    const pending = state.pending.get(request.response_nonce);
    if (!pending) return;
    state.pending.delete(request.response_nonce);
    const base = {
      nodeId: this.node!.id,
      streamId: this.id,
      delta: true,
      typeUrl,
      nonce: request.response_nonce,
    };
    if (request.error_detail) {
      for (const [name, before] of pending.previous) {
        const sent = state.known.get(name);
        if (sent !== undefined) state.rejected.set(name, sent);
        if (before === undefined) state.known.delete(name);
        else state.known.set(name, before);
      }
      state.nack = { version: pending.version, message: request.error_detail.message };
      this.host.emit('nack', {
        ...base,
        version: pending.version,
        lastGoodVersion: state.ackedVersion,
        errorCode: request.error_detail.code,
        errorMessage: request.error_detail.message,
      });
      return;
    }
    for (const name of pending.previous.keys()) state.rejected.delete(name);
    state.ackedVersion = pending.version;
    state.nack = undefined;
    this.host.emit('ack', { ...base, version: pending.version });
  }

  pushAll(): void {
    for (const typeUrl of inPushOrder(this.types.keys())) {
      const state = this.types.get(typeUrl)!;
      this.push(typeUrl, state);
    }
  }

  private push(typeUrl: string, state: TypeState): void {
    if (this.closed || !this.node) return;
    const typeSnapshot = this.host.snapshotFor(this.node.id)?.types.get(typeUrl);
    if (!typeSnapshot) return;
    for (const name of state.rejected.keys())
      if (!typeSnapshot.resources.has(name)) state.rejected.delete(name);
    const { updated, removed } = this.diff(state, typeSnapshot);
    if (updated.length === 0 && removed.length === 0 && state.initialSent) {
      // Rejected resources still in the snapshot mean the client is not current.
      if (typeSnapshot.version !== state.sentVersion && state.rejected.size === 0) {
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
    this.send(typeUrl, state, typeSnapshot, updated, removed);
  }

  private send(
    typeUrl: string,
    state: TypeState,
    typeSnapshot: PreparedTypeSnapshot,
    updated: string[],
    removed: string[],
  ): void {
    const nonce = this.host.nextNonce();
    const previous = new Map<string, string | undefined>();
    for (const name of updated) {
      previous.set(name, state.known.get(name));
      state.known.set(name, typeSnapshot.resources.get(name)!.version);
    }
    state.pending.set(nonce, { version: typeSnapshot.version, previous });
    // A client that never answers must not grow this map without bound; the oldest goes first.
    if (state.pending.size > MAX_PENDING) state.pending.delete(state.pending.keys().next().value!);
    state.initialSent = true;
    state.sentVersion = typeSnapshot.version;
    const encoded = updated.map((name) => typeSnapshot.resources.get(name)!.encodedDeltaResource);
    this.write(
      encodeDeltaDiscoveryResponse(
        typeSnapshot.version,
        encoded,
        typeUrl,
        removed,
        nonce,
        this.host.controlPlaneId,
      ),
    );
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

  /** Names to send (new or changed, not rejected at this version) and names to report removed. */
  private diff(state: TypeState, snapshot: PreparedTypeSnapshot): { updated: string[]; removed: string[] } {
    const updated: string[] = [];
    const removed: string[] = [];
    const consider = (name: string) => {
      const resource = snapshot.resources.get(name);
      if (resource) {
        if (state.known.get(name) !== resource.version && state.rejected.get(name) !== resource.version) {
          updated.push(name);
        }
      } else if (state.known.get(name) !== ABSENT) {
        // Gone, or never existed: say so once, so the client does not wait for it.
        if (state.known.has(name) || state.names.has(name)) removed.push(name);
      }
    };
    if (state.wildcard) for (const name of snapshot.resources.keys()) consider(name);
    for (const name of state.names) if (!state.wildcard || !snapshot.resources.has(name)) consider(name);
    for (const name of state.known.keys()) {
      if (!snapshot.resources.has(name) && !state.names.has(name) && state.known.get(name) !== ABSENT)
        removed.push(name);
    }
    for (const name of removed) {
      if (state.names.has(name)) state.known.set(name, ABSENT);
      else state.known.delete(name);
    }
    return { updated, removed };
  }

  private write(buffer: Buffer): void {
    try {
      this.call.write(buffer);
    } catch (err) {
      this.host.emit('error', err as Error);
    }
  }

  status(): StreamTypeStatus[] {
    return [...this.types].map(([typeUrl, s]) => ({
      typeUrl,
      wildcard: s.wildcard,
      resourceNames: [...s.names],
      sentVersion: s.sentVersion,
      ackedVersion: s.ackedVersion,
      nack: s.nack,
    }));
  }

  private fail(details: string, code = grpc.status.INVALID_ARGUMENT): void {
    this.closed = true;
    this.call.emit('error', { code, details });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.call.end();
  }
}
