/**
 * Streaming validator/decoder for `Transfer-Encoding: chunked` bodies (RFC 9112 §7.1). It emits
 * chunk payloads as zero-copy slices of the input and stops exactly at the end of the message so
 * the bytes after it (a pipelined request, or the next response) stay with the connection.
 * Chunk sizes are strict hex with no sign, no leading whitespace and at most 15 digits; trailers
 * are validated and dropped.
 */
import { FIELD_VALUE, HEX } from './chars.js';

const SIZE = 0;
const SIZE_WS = 1;
const EXT = 2;
const SIZE_LF = 3;
const DATA = 4;
const DATA_CR = 5;
const DATA_LF = 6;
const TRAILER_START = 7;
const TRAILER_LINE = 8;
const TRAILER_LF = 9;
const END_LF = 10;
const DONE = 11;

/** Receives decoded payload bytes. */
export interface ChunkSink {
  onChunk(data: Buffer): void;
}

/** Result of {@link ChunkedDecoder.feed} when the input is not valid chunked framing. */
export const CHUNKED_ERROR = -1;

/** One decoder per message; call {@link ChunkedDecoder.reset} to reuse it. */
export class ChunkedDecoder {
  private state = SIZE;
  private digits = 0;
  private remaining = 0;
  private trailerBytes = 0;
  /** Payload bytes seen so far (for body size limits). */
  bodyBytes = 0;

  reset(): void {
    this.state = SIZE;
    this.digits = 0;
    this.remaining = 0;
    this.trailerBytes = 0;
    this.bodyBytes = 0;
  }

  /** True once the terminating chunk and trailers were consumed. */
  get done(): boolean {
    return this.state === DONE;
  }

  /**
   * Consumes `buf[start..]`; payload goes to `sink`. Returns the index just past the last byte
   * belonging to this message (buf.length when more is needed), or {@link CHUNKED_ERROR}.
   */
  feed(buf: Buffer, start: number, sink: ChunkSink): number {
    let i = start;
    const len = buf.length;
    while (i < len) {
      const c = buf[i];
      switch (this.state) {
        case SIZE: {
          const h = HEX[c];
          if (h !== 255) {
            if (++this.digits > 15) return CHUNKED_ERROR;
            this.remaining = this.remaining * 16 + h;
          } else if (this.digits === 0) return CHUNKED_ERROR;
          else if (c === 0x0d) this.state = SIZE_LF;
          else if (c === 0x3b) this.state = EXT;
          else if (c === 0x20 || c === 0x09) this.state = SIZE_WS;
          else return CHUNKED_ERROR;
          i++;
          break;
        }
        case SIZE_WS:
          if (c === 0x3b) this.state = EXT;
          else if (c !== 0x20 && c !== 0x09) return CHUNKED_ERROR;
          i++;
          break;
        case EXT:
          if (c === 0x0d) this.state = SIZE_LF;
          else if (FIELD_VALUE[c] !== 1) return CHUNKED_ERROR;
          i++;
          break;
        case SIZE_LF:
          if (c !== 0x0a) return CHUNKED_ERROR;
          i++;
          this.digits = 0;
          this.state = this.remaining === 0 ? TRAILER_START : DATA;
          break;
        case DATA: {
          const take = Math.min(this.remaining, len - i);
          sink.onChunk(buf.subarray(i, i + take));
          this.bodyBytes += take;
          this.remaining -= take;
          i += take;
          if (this.remaining === 0) this.state = DATA_CR;
          break;
        }
        case DATA_CR:
          if (c !== 0x0d) return CHUNKED_ERROR;
          this.state = DATA_LF;
          i++;
          break;
        case DATA_LF:
          if (c !== 0x0a) return CHUNKED_ERROR;
          this.state = SIZE;
          i++;
          break;
        case TRAILER_START:
          if (c === 0x0d) this.state = END_LF;
          else if (c === 0x20 || c === 0x09 || c === 0x0a) return CHUNKED_ERROR;
          else this.state = TRAILER_LINE;
          i++;
          break;
        case TRAILER_LINE:
          if (++this.trailerBytes > 8192) return CHUNKED_ERROR;
          if (c === 0x0d) this.state = TRAILER_LF;
          else if (FIELD_VALUE[c] !== 1) return CHUNKED_ERROR;
          i++;
          break;
        case TRAILER_LF:
          if (c !== 0x0a) return CHUNKED_ERROR;
          this.state = TRAILER_START;
          i++;
          break;
        case END_LF:
          if (c !== 0x0a) return CHUNKED_ERROR;
          this.state = DONE;
          return i + 1;
        default:
          return i;
      }
    }
    return i;
  }
}
