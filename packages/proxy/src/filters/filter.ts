/**
 * The HTTP filter contract. A filter's config is compiled once, by its factory, into a filter
 * object shared by every request of a listener; per-request state lives on the
 * {@link FilterStream} (or in a WeakMap the filter owns), so a request costs no allocation per
 * filter. Filters run in order on the request (`decodeHeaders`) and in reverse on the response
 * (`encodeHeaders`); `stop` pauses the chain until the filter calls `continueDecoding()`.
 */
import type { RouteEntry } from '../router/route-entry.js';

/** What `decodeHeaders` tells the chain. */
export type FilterStatus = 'continue' | 'stop';

/** Envoy response flags (access log `%RESPONSE_FLAGS%`). */
export type ResponseFlag =
  | 'UH'
  | 'UF'
  | 'UO'
  | 'NR'
  | 'NC'
  | 'URX'
  | 'UT'
  | 'UC'
  | 'UR'
  | 'UPE'
  | 'DC'
  | 'DPE'
  | 'LR'
  | 'DI'
  | 'FI'
  | 'RL'
  | 'SI';

/** The per-request view a filter works with. */
export interface FilterStream {
  readonly method: string;
  /** Canonical path (after normalisation), no query. */
  readonly path: string;
  readonly query: string;
  readonly authority: string;
  /** Mutable request headers (flat, lower-case names). */
  readonly requestHeaders: string[];
  /** The matched route, or null (filters run even when nothing matched, as in Envoy). */
  readonly route: RouteEntry | null;
  readonly remoteAddress: string;
  /** Resumes the chain after a filter returned `stop`. */
  continueDecoding(): void;
  /**
   * Ends the request with a locally generated response (the chain stops). With `grpcStatus` ≥ 0
   * the reply is a gRPC trailers-only response carrying that status.
   */
  sendLocalReply(status: number, body: string, flag: ResponseFlag | null, grpcStatus?: number): void;
  /** Adds an Envoy response flag to the access log entry. */
  addResponseFlag(flag: ResponseFlag): void;
  /** Registers a timer cleared automatically when the request ends (e.g. a fault delay). */
  setTimer(ms: number, fn: () => void): void;
  /** True once the request finished or the downstream went away. */
  readonly ended: boolean;
}

/** A compiled HTTP filter. */
export interface HttpFilter {
  readonly name: string;
  decodeHeaders(stream: FilterStream): FilterStatus;
  /** Sees (and may modify) response headers before they are written downstream. */
  encodeHeaders?(stream: FilterStream, status: number, headers: string[]): void;
}

/** Builds a filter from its `typed_config` (validated here, never per request). */
export interface HttpFilterFactory {
  /** Envoy filter name, e.g. `envoy.filters.http.fault`. */
  readonly name: string;
  /** `@type` URLs the factory accepts for `typed_config`. */
  readonly typeUrls: readonly string[];
  create(typedConfig: Record<string, unknown>, path: string): HttpFilter;
  /**
   * Compiles a route's `typed_per_filter_config` entry for this filter (validated when the route
   * configuration is compiled, never per request). Absent: the filter has no per-route config.
   */
  createPerRoute?(typedConfig: Record<string, unknown>, path: string): unknown;
}
