import type * as grpc from '@grpc/grpc-js';
import type { XdsNode } from '../protocol/messages.js';
import type { AdsServerEvents } from './events.js';
import type { ResponseShare } from './response-bytes.js';
import type { XdsSnapshot } from './snapshot.js';

/** What an ADS stream needs from the server that hosts it. */
export interface StreamHost {
  /** Encoded responses (and their nonces) shared by the streams sent the same content. */
  readonly responses: ResponseShare;
  /** The node's current snapshot, if one is known. */
  snapshotFor(nodeId: string): XdsSnapshot | undefined;
  /** Whether the peer of `call` may act as `node`. */
  authorize(node: XdsNode, call: grpc.ServerDuplexStream<unknown, unknown>): boolean;
  /** Registers a stream once it has named its node (may resolve a snapshot asynchronously). */
  attach(stream: AdsStream): void;
  detach(stream: AdsStream): void;
  emit<K extends keyof AdsServerEvents>(event: K, ...args: AdsServerEvents[K]): boolean;
}

/** The part of a SotW or delta stream the server drives. */
export interface AdsStream {
  readonly id: number;
  readonly delta: boolean;
  readonly node: XdsNode | undefined;
  /** The peer's address as gRPC reports it. */
  readonly peer: string;
  /** Sends what changed for each subscribed type (called after a snapshot change). */
  pushAll(): void;
  /** Per type URL: what the stream subscribes to and where it stands. */
  status(): StreamTypeStatus[];
  close(): void;
}

/** Where one stream stands for one type. */
export interface StreamTypeStatus {
  typeUrl: string;
  wildcard: boolean;
  resourceNames: string[];
  sentVersion: string;
  ackedVersion: string;
  /** The last rejected version and why, until a later ACK. */
  nack?: { version: string; message: string };
}
