import type * as grpc from '@grpc/grpc-js';
import type { JsonObject } from '../codec/from-json.js';
import type { BackoffOptions } from './backoff.js';
import type { UpdateHandler, XdsUpdate } from './update.js';

/** Options of {@link AdsClient}. */
export interface AdsClientOptions {
  /** The ADS server, `host:port`. */
  address: string;
  /** This client's identity; `user_agent_name` defaults to `meshwork`. */
  node: { id: string; cluster?: string; metadata?: JsonObject } & JsonObject;
  credentials?: grpc.ChannelCredentials;
  channelOptions?: grpc.ChannelOptions;
  /** Use DeltaAggregatedResources instead of state of the world. */
  delta?: boolean;
  /** Types subscribed by wildcard from the start (default LDS and CDS). */
  wildcardTypes?: string[];
  /**
   * Subscribe to what accepted resources reference, as Envoy does: the RDS names of the
   * listeners' HTTP connection managers and the EDS names of EDS clusters (default false: the
   * consumer calls `watch`).
   */
  followReferences?: boolean;
  /** Judges each update before it is ACKed (default: accept all). */
  onUpdate?: UpdateHandler;
  backoff?: BackoffOptions;
}

/** A rejected update, as reported by the `nack` event. */
export interface ClientNackEvent {
  typeUrl: string;
  /** The rejected version. */
  version: string;
  /** The version kept. */
  keptVersion: string;
  nonce: string;
  error: Error;
}

/** Events of {@link AdsClient}. */
export interface AdsClientEvents {
  connected: [];
  disconnected: [{ error?: Error; reconnectInMs: number }];
  update: [XdsUpdate];
  nack: [ClientNackEvent];
  error: [Error];
  closed: [];
}
