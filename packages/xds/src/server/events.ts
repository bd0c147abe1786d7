import type { XdsNode } from '../protocol/messages.js';

/** Fields every per-stream event carries. */
export interface StreamEventBase {
  nodeId: string;
  /** Process-unique id of the ADS stream (a node may have several over time). */
  streamId: number;
  /** True for DeltaAggregatedResources streams. */
  delta: boolean;
}

/** A stream identified its node. */
export interface ConnectEvent extends StreamEventBase {
  node: XdsNode;
  /** The peer's address as gRPC reports it (`ipv4:10.0.0.7:51234`). */
  peer: string;
}

/** A stream ended. */
export interface DisconnectEvent extends StreamEventBase {
  error?: Error;
}

/** A response was sent. */
export interface PushEvent extends StreamEventBase {
  typeUrl: string;
  version: string;
  nonce: string;
  /** Names of the resources in the response. */
  resourceNames: string[];
  /** Delta only: names sent in `removed_resources`. */
  removedNames: string[];
}

/** The client applied a response. */
export interface AckEvent extends StreamEventBase {
  typeUrl: string;
  version: string;
  nonce: string;
}

/** The client rejected a response; it keeps `lastGoodVersion`. */
export interface NackEvent extends StreamEventBase {
  typeUrl: string;
  /** The version that was rejected. */
  version: string;
  /** The version the client says it still runs (SotW `version_info`; empty for delta). */
  lastGoodVersion: string;
  nonce: string;
  errorCode: number;
  errorMessage: string;
}

/**
 * A new snapshot version changed nothing this stream subscribes to, so nothing was sent: the
 * node is already current at `version` for `typeUrl` (convergence trackers count it as applied).
 */
export interface CurrentEvent extends StreamEventBase {
  typeUrl: string;
  version: string;
}

/** Events of {@link AdsServer}. */
export interface AdsServerEvents {
  connect: [ConnectEvent];
  disconnect: [DisconnectEvent];
  push: [PushEvent];
  ack: [AckEvent];
  nack: [NackEvent];
  current: [CurrentEvent];
  /** A stream failed in a way that is not the client's fault (a resolver threw, a write failed). */
  error: [Error];
}
