import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import * as grpc from '@grpc/grpc-js';
import type { JsonObject } from '../codec/from-json.js';
import { XdsError } from '../errors.js';
import {
  adsServiceDefinition,
  type DeltaDiscoveryRequest,
  type DiscoveryRequest,
  type XdsNode,
} from '../protocol/messages.js';
import { xdsRoot } from '../protos.js';
import { clientStatus, type NodeIdMatcher } from './client-status.js';
import { addCsdsService } from './csds.js';
import { DeltaStream } from './delta-stream.js';
import type { AdsServerEvents } from './events.js';
import { ResponseShare } from './response-bytes.js';
import { type SnapshotInput, XdsSnapshot } from './snapshot.js';
import { SotwStream } from './sotw-stream.js';
import type { AdsStream, StreamHost, StreamTypeStatus } from './stream-host.js';

/** Finds the snapshot of a node the server has none for yet (its first stream just arrived). */
export type SnapshotResolver = (
  node: XdsNode,
) => XdsSnapshot | SnapshotInput | undefined | Promise<XdsSnapshot | SnapshotInput | undefined>;

/** Who is on the other end of a stream, for {@link AdsServerOptions.authorizeNode}. */
export interface StreamPeer {
  /** `ipv4:127.0.0.1:51234`-style peer address. */
  address: string;
  /** TLS details; `sslPeerCertificate` is set for mTLS clients (SPIFFE id in its SAN). */
  authContext: ReturnType<grpc.ServerDuplexStream<unknown, unknown>['getAuthContext']>;
}

/** Options of {@link AdsServer}. */
export interface AdsServerOptions {
  /**
   * Decides whether a peer may act as `node` (e.g. its certificate's SPIFFE id matches the node
   * id). A refused stream ends with PERMISSION_DENIED before it is served anything, so no proxy
   * can obtain another's configuration or secrets by claiming its node id. Default: allow.
   */
  authorizeNode?: (node: XdsNode, peer: StreamPeer) => boolean;
  /** Called once per unknown node id; its result is set as that node's snapshot. */
  resolveSnapshot?: SnapshotResolver;
  /** Identifies this control plane in every response (`control_plane.identifier`), e.g. `meshd-0`. */
  controlPlaneId?: string;
  /** Serve CSDS (`ClientStatusDiscoveryService`) beside ADS from {@link AdsServer.listen} (default true). */
  csds?: boolean;
  /** grpc-js server options when {@link AdsServer.listen} creates the server. */
  grpcOptions?: grpc.ServerOptions;
}

/** A connected stream as {@link AdsServer.streams} reports it. */
export interface StreamInfo {
  streamId: number;
  nodeId: string;
  node: XdsNode;
  peer: string;
  delta: boolean;
  types: StreamTypeStatus[];
}

/**
 * The Aggregated Discovery Service (xDS v3 ADS) over gRPC, both state of the world
 * (`StreamAggregatedResources`) and incremental (`DeltaAggregatedResources`). It serves each node
 * the snapshot set for its id, pushes only to streams whose subscribed resources changed, and
 * reports ACKs and NACKs (see {@link AdsServerEvents}).
 *
 * @example
 * const ads = new AdsServer();
 * const port = await ads.listen('127.0.0.1:0');
 * ads.on('nack', (e) => log.warn(e, 'config rejected'));
 * ads.setSnapshot('web-1', { cds: { version: '1', resources: [cluster] }, eds: { version: '1', resources: [cla] } });
 */
export class AdsServer extends EventEmitter<AdsServerEvents> implements StreamHost {
  private readonly snapshots = new Map<string, XdsSnapshot>();
  private readonly byNode = new Map<string, Set<AdsStream>>();
  private readonly resolving = new Set<string>();
  private streamSeq = 0;
  private server: grpc.Server | undefined;
  /** @internal */
  readonly responses: ResponseShare;
  private closed = false;

  constructor(private readonly options: AdsServerOptions = {}) {
    super();
    this.responses = new ResponseShare(randomBytes(4).toString('hex'), options.controlPlaneId ?? '');
    // Errors are reported as events; an unhandled 'error' must not kill the control plane.
    this.on('error', () => {});
  }

  /** Registers the ADS service on an existing grpc-js server (to share a port with other services). */
  addTo(server: grpc.Server): void {
    xdsRoot(); // Load the protos now rather than inside the first stream.
    server.addService(adsServiceDefinition(), {
      StreamAggregatedResources: (call: grpc.ServerDuplexStream<DiscoveryRequest, Buffer>) =>
        this.serveSotw(call),
      DeltaAggregatedResources: (call: grpc.ServerDuplexStream<DeltaDiscoveryRequest, Buffer>) =>
        this.serveDelta(call),
    });
  }

  /**
   * The CSDS view of connected nodes (Envoy JSON `ClientStatusResponse`): per node and resource,
   * what is served and whether it was ACKed or NACKed. Also served over gRPC by {@link listen}.
   */
  clientStatus(matchers: NodeIdMatcher[] = [], excludeContents = false): JsonObject {
    return clientStatus(this, matchers, excludeContents);
  }

  /** Starts a gRPC server of its own on `address` (`host:port`, port 0 for any); resolves the port. */
  listen(address = '127.0.0.1:0', credentials = grpc.ServerCredentials.createInsecure()): Promise<number> {
    if (this.closed) return Promise.reject(new XdsError('MESH_ERR_XDS_CLOSED', 'AdsServer is closed'));
    if (this.server)
      return Promise.reject(new XdsError('MESH_ERR_XDS_MISUSE', 'AdsServer is already listening'));
    const server = new grpc.Server({ 'grpc.max_send_message_length': -1, ...this.options.grpcOptions });
    this.addTo(server);
    if (this.options.csds !== false) addCsdsService(server, this);
    this.server = server;
    return new Promise((resolve, reject) => {
      server.bindAsync(address, credentials, (err, port) => (err ? reject(err) : resolve(port)));
    });
  }

  /** Ends every stream and stops the server started by {@link listen}. */
  async close(): Promise<void> {
    this.closed = true;
    for (const streams of this.byNode.values()) for (const stream of streams) stream.close();
    const server = this.server;
    this.server = undefined;
    if (server) server.forceShutdown();
  }

  /**
   * Sets (replaces) the snapshot served to `nodeId` and pushes what changed to its streams.
   * Accepts a prepared {@link XdsSnapshot} (share one between nodes to share its bytes) or the
   * input to build one. Returns the prepared snapshot.
   */
  setSnapshot(nodeId: string, snapshot: XdsSnapshot | SnapshotInput): XdsSnapshot {
    const prepared = XdsSnapshot.from(snapshot);
    const previous = this.snapshots.get(nodeId);
    this.snapshots.set(nodeId, prepared);
    if (previous === prepared) return prepared;
    const streams = this.byNode.get(nodeId);
    if (streams) for (const stream of streams) stream.pushAll();
    return prepared;
  }

  /** The snapshot served to `nodeId`, if any. */
  getSnapshot(nodeId: string): XdsSnapshot | undefined {
    return this.snapshots.get(nodeId);
  }

  /** Forgets a node's snapshot (its streams keep what they have until a new one is set). */
  clearSnapshot(nodeId: string): void {
    this.snapshots.delete(nodeId);
  }

  /** The node ids with at least one open stream. */
  connectedNodes(): string[] {
    return [...this.byNode.keys()];
  }

  /** Every open stream with, per type, its subscription and sent/ACKed/NACKed versions. */
  streams(nodeId?: string): StreamInfo[] {
    const out: StreamInfo[] = [];
    for (const [id, streams] of this.byNode) {
      if (nodeId !== undefined && id !== nodeId) continue;
      for (const s of streams) {
        out.push({
          streamId: s.id,
          nodeId: id,
          node: s.node!,
          peer: s.peer,
          delta: s.delta,
          types: s.status(),
        });
      }
    }
    return out;
  }

  /** @internal */
  snapshotFor(nodeId: string): XdsSnapshot | undefined {
    return this.snapshots.get(nodeId);
  }

  /** @internal */
  authorize(node: XdsNode, call: grpc.ServerDuplexStream<unknown, unknown>): boolean {
    const check = this.options.authorizeNode;
    if (!check) return true;
    try {
      return check(node, { address: call.getPeer(), authContext: call.getAuthContext() }) === true;
    } catch (err) {
      this.emit('error', err as Error);
      return false;
    }
  }

  /** @internal */
  attach(stream: AdsStream): void {
    const node = stream.node!;
    let streams = this.byNode.get(node.id);
    if (!streams) this.byNode.set(node.id, (streams = new Set()));
    streams.add(stream);
    this.emit('connect', {
      nodeId: node.id,
      streamId: stream.id,
      delta: stream.delta,
      node,
      peer: stream.peer,
    });
    if (!this.snapshots.has(node.id)) void this.resolve(node);
  }

  /** @internal */
  detach(stream: AdsStream, error?: Error): void {
    const node = stream.node;
    if (!node) return;
    const streams = this.byNode.get(node.id);
    if (!streams?.delete(stream)) return;
    if (streams.size === 0) this.byNode.delete(node.id);
    this.emit('disconnect', { nodeId: node.id, streamId: stream.id, delta: stream.delta, error });
  }

  private async resolve(node: XdsNode): Promise<void> {
    const resolver = this.options.resolveSnapshot;
    if (!resolver || this.resolving.has(node.id)) return;
    this.resolving.add(node.id);
    try {
      // A synchronous resolver's snapshot is set before the first request is answered, so the
      // node gets its config in the first response instead of after an extra turn.
      const result = resolver(node);
      const found = result instanceof Promise ? await result : result;
      if (found && !this.snapshots.has(node.id)) this.setSnapshot(node.id, found);
    } catch (err) {
      this.emit(
        'error',
        new XdsError('MESH_ERR_XDS_SNAPSHOT', `resolving node ${node.id}: ${(err as Error).message}`, {
          cause: err,
        }),
      );
    } finally {
      this.resolving.delete(node.id);
    }
  }

  private serveSotw(call: grpc.ServerDuplexStream<DiscoveryRequest, Buffer>): void {
    const stream = new SotwStream(++this.streamSeq, this, call);
    this.wire(call, stream, (req: DiscoveryRequest) => stream.onRequest(req));
  }

  private serveDelta(call: grpc.ServerDuplexStream<DeltaDiscoveryRequest, Buffer>): void {
    const stream = new DeltaStream(++this.streamSeq, this, call);
    this.wire(call, stream, (req: DeltaDiscoveryRequest) => stream.onRequest(req));
  }

  private wire<Req>(
    call: grpc.ServerDuplexStream<Req, Buffer>,
    stream: AdsStream,
    onRequest: (req: Req) => void,
  ): void {
    if (this.closed) {
      call.emit('error', { code: grpc.status.UNAVAILABLE, details: 'ADS server is shutting down' });
      return;
    }
    // Headers go out at once so clients see the stream as established before the first push.
    call.sendMetadata(new grpc.Metadata());
    call.on('data', (req: Req) => {
      try {
        onRequest(req);
      } catch (err) {
        this.emit('error', err as Error);
        call.emit('error', { code: grpc.status.INTERNAL, details: (err as Error).message });
      }
    });
    call.on('end', () => call.end());
    call.on('error', (err: Error) => this.detach(stream, err));
    call.on('close', () => this.detach(stream));
    call.on('cancelled', () => this.detach(stream));
  }
}
