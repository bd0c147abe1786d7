/**
 * The request body as the router keeps it: chunks are held until an attempt has a connection,
 * and kept afterwards (up to a limit) so retries and hedged attempts can replay the body from
 * the start. Above the limit the body streams through and the request is no longer replayable.
 */
import type { UpstreamConnection } from '../http/upstream-callbacks.js';

/** Bodies up to this size are kept for replay; larger ones are not retried or hedged. */
export const REPLAY_LIMIT_BYTES = 1024 * 1024;

/** A routed request's body. */
export class RequestBody {
  private chunks: Buffer[] | null = [];
  private bytes = 0;
  /** True once the whole body has arrived (or there is none). */
  done: boolean;
  /** True while every byte received is still held (a fresh attempt can resend the body). */
  replayable = true;

  constructor(
    readonly present: boolean,
    private readonly limitBytes = REPLAY_LIMIT_BYTES,
  ) {
    this.done = !present;
  }

  /** True when the request can be sent again from the start. */
  get resendable(): boolean {
    return !this.present || this.replayable;
  }

  /**
   * Records a chunk that was (or, with no connection yet, will be) written upstream. Returns
   * true when the downstream should be paused: nothing can take the bytes and the hold is full.
   */
  add(chunk: Buffer, written: boolean): boolean {
    this.bytes += chunk.length;
    if (this.chunks === null || (!this.replayable && written)) return false;
    this.chunks.push(chunk);
    if (this.bytes <= this.limitBytes) return false;
    this.replayable = false;
    if (written) {
      this.chunks = null;
      return false;
    }
    return true;
  }

  /** Writes everything held to a new attempt's connection (and ends it if the body is complete). */
  replayTo(conn: UpstreamConnection): void {
    if (this.chunks !== null) {
      for (const chunk of this.chunks) conn.writeBody(chunk);
      // Once past the limit the held chunks were only waiting for this first connection.
      if (!this.replayable) this.chunks = null;
    }
    if (this.done && this.present) conn.endBody();
  }

  /** Drops what is held (the request is over). */
  release(): void {
    this.chunks = null;
  }
}
