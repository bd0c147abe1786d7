import { EventEmitter } from 'node:events';
import * as grpc from '@grpc/grpc-js';
import { normalize } from '../codec/any.js';
import type { JsonObject } from '../codec/from-json.js';
import { XdsError } from '../errors.js';
import {
  ADS_DELTA_METHOD,
  ADS_SOTW_METHOD,
  type DeltaDiscoveryResponse,
  type DiscoveryResponse,
  decodeDeltaDiscoveryResponse,
  decodeDiscoveryResponse,
  encodeDeltaDiscoveryRequest,
  encodeDiscoveryRequest,
  type XdsNode,
} from '../protocol/messages.js';
import { xdsRoot } from '../protos.js';
import { TYPE_URLS, toTypeUrl } from '../type-urls.js';
import { Backoff } from './backoff.js';
import type { AdsClientEvents, AdsClientOptions } from './client-options.js';
import { referencedNames } from './references.js';
import { ackRequest, initialRequest, sotwRequest } from './requests.js';
import { judge } from './update.js';
import {
  type Candidate,
  commit,
  deltaCandidate,
  newWatch,
  sotwCandidate,
  type WatchState,
} from './watch-state.js';

/** What this client understands beyond the base protocol (xDS client feature names). */
const CLIENT_FEATURES = ['xds.config.resource-in-sotw'];

/** gRPC status code sent in a NACK's `error_detail` (INVALID_ARGUMENT). */
const NACK_CODE = grpc.status.INVALID_ARGUMENT;

type Stream = grpc.ClientDuplexStream<Buffer, DiscoveryResponse | DeltaDiscoveryResponse>;

/**
 * The ADS client a proxy runs against a control plane: subscribes to LDS and CDS by wildcard
 * and to RDS/EDS names as asked ({@link watch}), hands each update to `onUpdate`, ACKs or NACKs
 * it, keeps the last good resources, and reconnects with jittered exponential backoff,
 * resubscribing with the versions it holds.
 *
 * @example
 * const client = new AdsClient({ address: 'localhost:15010', node: { id: 'web-1', cluster: 'web' },
 *   onUpdate: (u) => (engine.apply(u) ? accept() : reject('bad listener')) });
 * client.start();
 * client.watch(TYPE_URLS.ROUTE_CONFIGURATION, ['http.8080']);
 */
export class AdsClient extends EventEmitter<AdsClientEvents> {
  private readonly grpcClient: grpc.Client;
  private readonly node: XdsNode;
  private readonly watches = new Map<string, WatchState>();
  private readonly backoff: Backoff;
  private stream: Stream | undefined;
  private nodeSent = false;
  private isConnected = false;
  private queue: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private started = false;
  private readonly delta: boolean;
  private readonly wildcardTypes: string[];

  constructor(private readonly options: AdsClientOptions) {
    super();
    this.on('error', () => {});
    this.delta = options.delta === true;
    // Validated here so a bad node fails construction, not a reconnect timer much later.
    const features = new Set([
      ...((options.node.client_features as string[] | undefined) ?? []),
      ...CLIENT_FEATURES,
    ]);
    this.node = normalize('envoy.config.core.v3.Node', {
      user_agent_name: 'meshwork',
      ...options.node,
      client_features: [...features],
    }) as XdsNode;
    this.backoff = new Backoff(options.backoff);
    const maxMs = options.backoff?.maxMs ?? 5_000;
    this.grpcClient = new grpc.Client(
      options.address,
      options.credentials ?? grpc.credentials.createInsecure(),
      {
        'grpc.max_receive_message_length': -1,
        'grpc.initial_reconnect_backoff_ms': Math.min(1_000, maxMs),
        'grpc.max_reconnect_backoff_ms': maxMs,
        ...options.channelOptions,
      },
    );
    this.wildcardTypes = (options.wildcardTypes ?? [TYPE_URLS.LISTENER, TYPE_URLS.CLUSTER]).map(toTypeUrl);
    for (const type of this.wildcardTypes) this.watches.set(type, newWatch(type, true, []));
  }

  /** Opens the stream (once). Watches set before this go out in the first requests. */
  start(): this {
    if (this.closed) throw new XdsError('MESH_ERR_XDS_CLOSED', 'AdsClient is closed');
    if (!this.started) {
      this.started = true;
      xdsRoot();
      this.open();
    }
    return this;
  }

  /** Whether the stream is currently established. */
  get connected(): boolean {
    return this.isConnected;
  }

  /**
   * Subscribes to exactly `names` of a type (replacing the previous set); an empty list
   * unsubscribes from everything of that type. Resources no longer watched are dropped.
   */
  watch(typeOrAlias: string, names: Iterable<string>): void {
    const typeUrl = toTypeUrl(typeOrAlias);
    const next = new Set(names);
    let watch = this.watches.get(typeUrl);
    const previous = watch ? new Set(watch.names) : new Set<string>();
    const wasWildcard = watch?.wildcard ?? false;
    if (!watch) this.watches.set(typeUrl, (watch = newWatch(typeUrl, false, next)));
    watch.wildcard = false;
    watch.names = next;
    // New maps: the old ones may be held by consumers of earlier updates.
    watch.resources = new Map([...watch.resources].filter(([name]) => next.has(name)));
    watch.fingerprints = new Map([...watch.fingerprints].filter(([name]) => next.has(name)));
    if (!this.stream) return;
    if (this.delta) {
      const subscribe = [...next].filter((n) => !previous.has(n));
      const unsubscribe = [...previous].filter((n) => !next.has(n));
      if (wasWildcard) unsubscribe.push('*');
      if (subscribe.length || unsubscribe.length) {
        this.send({
          type_url: typeUrl,
          resource_names_subscribe: subscribe,
          resource_names_unsubscribe: unsubscribe,
        });
      }
    } else {
      this.send(sotwRequest(watch));
    }
  }

  /** The last good resources of a type, by name. */
  resources(typeOrAlias: string): ReadonlyMap<string, JsonObject> {
    return this.watches.get(toTypeUrl(typeOrAlias))?.resources ?? new Map();
  }

  /** The last accepted version of a type ('' before the first). */
  version(typeOrAlias: string): string {
    return this.watches.get(toTypeUrl(typeOrAlias))?.version ?? '';
  }

  /**
   * Resolves once every given type (default: the wildcard types) has accepted its first update —
   * the moment a proxy has a complete initial configuration. Rejects if the client is closed first.
   */
  whenSynced(typesOrAliases?: readonly string[]): Promise<void> {
    const types = (typesOrAliases ?? this.wildcardTypes).map(toTypeUrl);
    const pending = () => types.some((t) => !this.watches.get(t)?.synced);
    if (!pending()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.closed) reject(new XdsError('MESH_ERR_XDS_CLOSED', 'AdsClient closed before it synced'));
        else if (pending()) return;
        else resolve();
        this.off('update', check);
        this.off('closed', check);
      };
      this.on('update', check);
      this.on('closed', check);
    });
  }

  /** Stops reconnecting and closes the stream and channel. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    const stream = this.stream;
    this.stream = undefined;
    stream?.cancel();
    this.grpcClient.close();
    this.emit('closed');
  }

  private open(): void {
    const delta = this.delta;
    const stream = (
      delta
        ? this.grpcClient.makeBidiStreamRequest(
            ADS_DELTA_METHOD,
            (b: Buffer) => b,
            decodeDeltaDiscoveryResponse,
          )
        : this.grpcClient.makeBidiStreamRequest(ADS_SOTW_METHOD, (b: Buffer) => b, decodeDiscoveryResponse)
    ) as Stream;
    this.stream = stream;
    this.nodeSent = false;
    stream.on('metadata', () => this.markConnected(stream));
    stream.on('data', (response: DiscoveryResponse | DeltaDiscoveryResponse) => {
      this.markConnected(stream);
      this.queue = this.queue
        .then(() => this.onResponse(stream, response))
        .catch((err) => {
          this.emit('error', err);
        });
    });
    stream.on('error', (err: Error) => this.onStreamEnd(stream, err));
    stream.on('status', () => this.onStreamEnd(stream));
    for (const watch of this.watches.values()) this.send(initialRequest(watch, this.delta));
  }

  private markConnected(stream: Stream): void {
    if (stream !== this.stream || this.isConnected) return;
    this.isConnected = true;
    this.emit('connected');
  }

  private onStreamEnd(stream: Stream, error?: Error): void {
    if (stream !== this.stream) return;
    this.stream = undefined;
    this.isConnected = false;
    if (this.closed) return;
    for (const watch of this.watches.values()) watch.nonce = ''; // nonces belong to a stream
    const reconnectInMs = this.backoff.nextDelayMs();
    this.timer = setTimeout(() => this.open(), reconnectInMs);
    this.emit('disconnected', { error, reconnectInMs });
  }

  private send(request: JsonObject): void {
    const stream = this.stream;
    if (!stream) return;
    if (!this.nodeSent) {
      request.node = this.node;
      this.nodeSent = true;
    }
    try {
      stream.write(this.delta ? encodeDeltaDiscoveryRequest(request) : encodeDiscoveryRequest(request));
    } catch (err) {
      this.emit('error', err as Error);
    }
  }

  private async onResponse(
    stream: Stream,
    response: DiscoveryResponse | DeltaDiscoveryResponse,
  ): Promise<void> {
    const watch = this.watches.get(response.type_url);
    if (!watch || this.closed) return; // a type this client never asked for, or closed
    if (stream === this.stream) watch.nonce = response.nonce;
    let candidate: Candidate;
    try {
      candidate = this.delta
        ? deltaCandidate(watch, response as DeltaDiscoveryResponse)
        : sotwCandidate(watch, response as DiscoveryResponse);
    } catch (err) {
      this.nack(stream, watch, response, err as Error);
      return;
    }
    const { update } = candidate;
    const changed = update.updated.length > 0 || update.removed.length > 0 || !watch.synced;
    const verdict = changed ? await judge(this.options.onUpdate, update) : { accepted: true as const };
    if (!verdict.accepted) {
      this.nack(stream, watch, response, verdict.error);
      return;
    }
    commit(watch, candidate);
    this.backoff.reset();
    if (stream === this.stream) this.send(ackRequest(watch, response.nonce, this.delta));
    this.emit('update', update);
    if (this.options.followReferences) this.follow(watch);
  }

  /** Keeps RDS/EDS subscriptions in step with what the accepted LDS/CDS reference. */
  private follow(watch: WatchState): void {
    const referenced = referencedNames(watch.typeUrl, watch.resources.values());
    if (!referenced) return;
    const current = this.watches.get(referenced.typeUrl);
    if (current ? !sameNames(current, referenced.names) : referenced.names.length > 0) {
      this.watch(referenced.typeUrl, referenced.names);
    }
  }

  private nack(
    stream: Stream,
    watch: WatchState,
    response: DiscoveryResponse | DeltaDiscoveryResponse,
    error: Error,
  ): void {
    const version = 'version_info' in response ? response.version_info : response.system_version_info;
    if (stream === this.stream) {
      const request = ackRequest(watch, response.nonce, this.delta);
      request.error_detail = { code: NACK_CODE, message: error.message };
      this.send(request);
    }
    this.emit('nack', {
      typeUrl: watch.typeUrl,
      version,
      keptVersion: watch.version,
      nonce: response.nonce,
      error,
    });
  }
}

function sameNames(watch: WatchState, names: string[]): boolean {
  return !watch.wildcard && watch.names.size === names.length && names.every((n) => watch.names.has(n));
}
