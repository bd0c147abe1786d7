import * as grpc from '@grpc/grpc-js';
import { type DiscoveryRequest, encodeDiscoveryResponse, type XdsNode } from '../protocol/messages.js';
import { inPushOrder, isWildcardType } from '../type-urls.js';
import type { PreparedResource } from './snapshot.js';
import type { AdsStream, StreamHost, StreamTypeStatus } from './stream-host.js';

interface TypeState {
  wildcard: boolean;
  /** Whether the client ever subscribed by name: after that, an empty list means "nothing". */
  everNamed: boolean;
  names: Set<string>;
  nonce: string;
  sentVersion: string;
  /** The latest version the stream is known to be current at (sent, or unchanged by it). */
  currentVersion: string;
  /** `name:hash` of what was last sent, to skip pushes that would change nothing. */
  sentContent: string | undefined;
  ackedVersion: string;
  nack?: { version: string; message: string };
  /** The subscription changed (in a stale request) since the last response was sent. */
  subscriptionChanged: boolean;
}

/**
 * One StreamAggregatedResources (state of the world) stream: per type URL, the subscription, the
 * latest nonce and the versions sent, ACKed and NACKed.
 */
export class SotwStream implements AdsStream {
  readonly delta = false;
  node: XdsNode | undefined;
  private readonly types = new Map<string, TypeState>();
  private closed = false;
  /** Responses are backed up in the write buffer; pushes wait for 'drain'. */
  private blocked = false;

  get peer(): string {
    return this.call.getPeer();
  }

  constructor(
    readonly id: number,
    private readonly host: StreamHost,
    private readonly call: grpc.ServerDuplexStream<DiscoveryRequest, Buffer>,
  ) {}

  /** Handles one request from the client. */
  onRequest(request: DiscoveryRequest): void {
    if (this.closed) return;
    if (!this.node) {
      if (!request.node?.id) {
        this.fail(grpc.status.INVALID_ARGUMENT, 'the first request must carry node.id');
        return;
      }
      if (!this.host.authorize(request.node, this.call as grpc.ServerDuplexStream<unknown, unknown>)) {
        this.fail(grpc.status.PERMISSION_DENIED, `peer may not act as node ${request.node.id}`);
        return;
      }
      this.node = request.node;
      this.host.attach(this);
    }
    const typeUrl = request.type_url;
    if (!typeUrl) {
      this.fail(grpc.status.INVALID_ARGUMENT, 'ADS requests must carry type_url');
      return;
    }
    let state = this.types.get(typeUrl);
    if (!state) {
      state = this.subscribe(typeUrl, request.resource_names);
      this.push(typeUrl, state, true);
      return;
    }
    if (request.response_nonce !== state.nonce) {
      // Stale: it answers a response that has a successor in flight, so its ACK/NACK is
      // outdated and it gets no response. Its resource names are still the client's latest;
      // keeping them means a client that is always one push behind (constant churn) still
      // gets its subscription change honoured by the next response instead of never.
      if (this.resubscribe(typeUrl, state, request.resource_names)) state.subscriptionChanged = true;
      return;
    }
    // An empty nonce answers nothing: it only (re)states the subscription.
    if (request.response_nonce !== '') this.settle(typeUrl, state, request);
    const changed = this.resubscribe(typeUrl, state, request.resource_names) || state.subscriptionChanged;
    if (changed) this.push(typeUrl, state, true);
  }

  private subscribe(typeUrl: string, names: string[]): TypeState {
    const state: TypeState = {
      wildcard: false,
      everNamed: false,
      names: new Set(),
      nonce: '',
      sentVersion: '',
      currentVersion: '',
      sentContent: undefined,
      ackedVersion: '',
      subscriptionChanged: false,
    };
    this.types.set(typeUrl, state);
    this.resubscribe(typeUrl, state, names);
    return state;
  }

  /** Applies the resource names of a request; true when the subscription changed. */
  private resubscribe(typeUrl: string, state: TypeState, names: string[]): boolean {
    const explicitWildcard = names.includes('*');
    if (names.length > 0 && !(names.length === 1 && explicitWildcard)) state.everNamed = true;
    const wildcard = explicitWildcard || (names.length === 0 && isWildcardType(typeUrl) && !state.everNamed);
    const named = new Set(names);
    named.delete('*');
    let changed = wildcard !== state.wildcard || named.size !== state.names.size;
    for (const name of named) changed ||= !state.names.has(name);
    state.wildcard = wildcard;
    state.names = named;
    return changed;
  }

  private settle(typeUrl: string, state: TypeState, request: DiscoveryRequest): void {
    const base = {
      nodeId: this.node!.id,
      streamId: this.id,
      delta: false,
      typeUrl,
      nonce: request.response_nonce,
    };
    if (request.error_detail) {
      // Remember the rejected version so the same content is not pushed again in a loop.
      state.nack = { version: state.sentVersion, message: request.error_detail.message };
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
    this.host.emit('ack', { ...base, version: request.version_info });
  }

  pushAll(): void {
    for (const typeUrl of inPushOrder(this.types.keys())) {
      const state = this.types.get(typeUrl)!;
      this.push(typeUrl, state, false);
    }
  }

  /**
   * Sends the type's subscribed resources if they differ from what this stream last got.
   * `force` (first request, subscription change) sends even when the content is the same.
   */
  private push(typeUrl: string, state: TypeState, force: boolean): void {
    if (this.closed || !this.node) return;
    if (this.blocked) {
      if (force) state.subscriptionChanged = true; // answered after the drain
      return;
    }
    force ||= state.subscriptionChanged;
    const typeSnapshot = this.host.snapshotFor(this.node.id)?.types.get(typeUrl);
    if (!typeSnapshot) return;
    const selected = this.select(state, typeSnapshot.resources);
    const content = contentKey(selected);
    if (!force && content === state.sentContent) {
      // After a NACK the stream is not current at any version until it ACKs again.
      if (typeSnapshot.version !== state.currentVersion && !state.nack) {
        state.currentVersion = typeSnapshot.version;
        this.host.emit('current', {
          nodeId: this.node.id,
          streamId: this.id,
          delta: false,
          typeUrl,
          version: typeSnapshot.version,
        });
      }
      return;
    }
    const nonce = this.host.nextNonce();
    const anys = selected.map((r) => r.encodedAny);
    state.nonce = nonce;
    state.sentVersion = typeSnapshot.version;
    state.currentVersion = typeSnapshot.version;
    state.sentContent = content;
    state.subscriptionChanged = false;
    this.write(encodeDiscoveryResponse(typeSnapshot.version, anys, typeUrl, nonce, this.host.controlPlaneId));
    this.host.emit('push', {
      nodeId: this.node.id,
      streamId: this.id,
      delta: false,
      typeUrl,
      version: typeSnapshot.version,
      nonce,
      resourceNames: selected.map((r) => r.name),
      removedNames: [],
    });
  }

  private select(state: TypeState, resources: ReadonlyMap<string, PreparedResource>): PreparedResource[] {
    if (state.wildcard) return [...resources.values()];
    const out: PreparedResource[] = [];
    for (const name of state.names) {
      const resource = resources.get(name);
      if (resource) out.push(resource);
    }
    return out;
  }

  private write(buffer: Buffer): void {
    try {
      if (!this.call.write(buffer) && !this.blocked) {
        // The client is not reading (or its link is slow): hold further pushes and send the
        // latest state once the buffered responses drain, rather than queue every version.
        this.blocked = true;
        this.call.once('drain', () => {
          this.blocked = false;
          this.pushAll();
        });
      }
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

  private fail(code: grpc.status, details: string): void {
    this.closed = true;
    // grpc-js turns an 'error' on a server stream into the call's final status.
    this.call.emit('error', { code, details });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.call.end();
  }
}

function contentKey(resources: readonly PreparedResource[]): string {
  let key = '';
  for (const r of resources) key += `${r.name}\u0000${r.version}\u0001`;
  return key;
}
