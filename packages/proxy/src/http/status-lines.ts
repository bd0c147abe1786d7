/** Precomputed HTTP/1.1 status lines, so writing a response head never formats the status. */
import { STATUS_CODES } from 'node:http';

const cache = new Map<number, string>();

/** `HTTP/1.1 <code> <reason>\r\n` for `status`, cached. */
export function statusLine(status: number): string {
  let line = cache.get(status);
  if (line === undefined) {
    line = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Unknown'}\r\n`;
    cache.set(status, line);
  }
  return line;
}
