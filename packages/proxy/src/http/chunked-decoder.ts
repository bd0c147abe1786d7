/**
 * Streaming validator/decoder for `Transfer-Encoding: chunked` bodies (RFC 9112 §7.1). It emits
 * chunk payloads as zero-copy slices of the input and stops exactly at the end of the message so
 * the bytes after it (a pipelined request, or the next response) stay with the connection.
 * Chunk sizes are strict hex with no sign, no leading whitespace and at most 15 digits; trailer
 * fields are validated and kept in {@link ChunkedDecoder.trailers}.
 */
import { FIELD_VALUE, HEX, TOKEN } from './chars.js';

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
  /** The trailer section read so far, lines ended by `\n` (only when the message has trailers). */
  private trailerText = '';
  private lineStart = 0;
  /** Payload bytes seen so far (for body size limits). */
  bodyBytes = 0;
  /** Trailer fields of a finished message, flat `[name, value, …]` with names lower-cased; null when none. */
  trailers: string[] | null = null;

  reset(): void {
    this.state = SIZE;
    this.digits = 0;
    this.remaining = 0;
    this.trailerBytes = 0;
    this.trailerText = '';
    this.bodyBytes = 0;
    this.trailers = null;
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
    if (this.state === TRAILER_LINE) this.lineStart = start;
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
          else {
            this.state = TRAILER_LINE;
            this.lineStart = i;
          }
          i++;
          break;
        case TRAILER_LINE:
          if (++this.trailerBytes > 8192) return CHUNKED_ERROR;
          if (c === 0x0d) {
            this.trailerText += `${buf.toString('latin1', this.lineStart, i)}\n`;
            this.state = TRAILER_LF;
          } else if (FIELD_VALUE[c] !== 1) return CHUNKED_ERROR;
          i++;
          break;
        case TRAILER_LF:
          if (c !== 0x0a) return CHUNKED_ERROR;
          this.state = TRAILER_START;
          i++;
          break;
        case END_LF:
          if (c !== 0x0a) return CHUNKED_ERROR;
          if (this.trailerText !== '' && !this.parseTrailers()) return CHUNKED_ERROR;
          this.state = DONE;
          return i + 1;
        default:
          return i;
      }
    }
    // A trailer line split across reads: keep its first part.
    if (this.state === TRAILER_LINE) this.trailerText += buf.toString('latin1', this.lineStart, len);
    return i;
  }

  /** `name: value` lines → {@link trailers}; false when a line is not a valid field. */
  private parseTrailers(): boolean {
    const out: string[] = [];
    for (const line of this.trailerText.split('\n')) {
      if (line === '') continue;
      const colon = line.indexOf(':');
      if (colon <= 0) return false;
      for (let k = 0; k < colon; k++) if (TOKEN[line.charCodeAt(k)] !== 1) return false;
      out.push(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).replace(OWS_EDGES, ''));
    }
    this.trailers = out;
    return true;
  }
}

const OWS_EDGES = /^[ \t]+|[ \t]+$/g;
