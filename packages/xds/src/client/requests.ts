import type { JsonObject } from '../codec/from-json.js';
import type { WatchState } from './watch-state.js';

/** A state-of-the-world request restating the watch: its names, last good version and latest nonce. */
export function sotwRequest(watch: WatchState): JsonObject {
  return {
    type_url: watch.typeUrl,
    version_info: watch.version,
    resource_names: watch.wildcard ? [] : [...watch.names],
    response_nonce: watch.nonce,
  };
}

/**
 * The first request for a watch on a new stream. Nonces belong to a stream, so none is sent;
 * what the client holds is: SotW `version_info`, delta `initial_resource_versions`.
 */
export function initialRequest(watch: WatchState, delta: boolean): JsonObject {
  if (!delta) return { ...sotwRequest(watch), response_nonce: '' };
  const versions: Record<string, string> = {};
  for (const [name, fingerprint] of watch.fingerprints)
    if (typeof fingerprint === 'string') versions[name] = fingerprint;
  return {
    type_url: watch.typeUrl,
    // An empty first subscription is the wildcard for LDS/CDS, understood by old and new servers.
    resource_names_subscribe: watch.wildcard ? [] : [...watch.names],
    initial_resource_versions: versions,
  };
}

/** The ACK of a response (a NACK adds `error_detail`): SotW echoes the last good version. */
export function ackRequest(watch: WatchState, nonce: string, delta: boolean): JsonObject {
  if (delta) return { type_url: watch.typeUrl, response_nonce: nonce };
  return { ...sotwRequest(watch), response_nonce: nonce };
}
