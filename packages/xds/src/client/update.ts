import type { JsonObject } from '../codec/from-json.js';

/** One accepted-or-rejectable change of one resource type, as the consumer sees it. */
export interface XdsUpdate {
  typeUrl: string;
  /** The version the server gave (`version_info`, or `system_version_info` for delta). */
  version: string;
  /** Every resource of the type the client will hold if this update is accepted, by name. */
  resources: ReadonlyMap<string, JsonObject>;
  /** Names added or changed by this update. */
  updated: string[];
  /** Names removed by this update. */
  removed: string[];
  nonce: string;
}

/** The consumer's answer to an update: apply it (ACK) or reject it (NACK, keep the last good set). */
export type UpdateVerdict = { readonly accepted: true } | { readonly accepted: false; readonly error: Error };

const ACCEPTED: UpdateVerdict = Object.freeze({ accepted: true });

/** Accepts an update: the client ACKs it and it becomes the last good config. */
export function accept(): UpdateVerdict {
  return ACCEPTED;
}

/** Rejects an update: the client NACKs it with `error`'s message as `error_detail`. */
export function reject(error: Error | string): UpdateVerdict {
  return { accepted: false, error: typeof error === 'string' ? new Error(error) : error };
}

/**
 * Receives each update before it is ACKed. Returning nothing accepts; returning
 * {@link reject}(…) or throwing rejects.
 */
export type UpdateHandler = (
  update: XdsUpdate,
) => UpdateVerdict | undefined | Promise<UpdateVerdict | undefined>;

/** Runs the handler and turns whatever it did into a verdict. */
export async function judge(handler: UpdateHandler | undefined, update: XdsUpdate): Promise<UpdateVerdict> {
  if (!handler) return ACCEPTED;
  try {
    return (await handler(update)) ?? ACCEPTED;
  } catch (err) {
    return reject(err instanceof Error ? err : String(err));
  }
}
