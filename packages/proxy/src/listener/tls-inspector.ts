/**
 * Envoy's `envoy.filters.listener.tls_inspector`: reads a connection's first bytes without
 * consuming them for anyone else, tells TLS from plaintext and finds the SNI in a ClientHello, so
 * a filter chain can be chosen by `server_names` / `transport_protocol` before TLS is terminated —
 * or without terminating it at all (TLS passthrough). Anything that does not parse as a
 * ClientHello is `raw_buffer`, as Envoy does.
 */

import type { Socket } from 'node:net';

/** What the inspector learnt. */
export interface Inspection {
  /** `tls` when the bytes start a TLS ClientHello, else `raw_buffer`. */
  readonly transportProtocol: 'tls' | 'raw_buffer';
  /** The SNI host name ('' when none or not TLS). */
  readonly serverName: string;
}

/** Envoy's cap on a ClientHello (`max_client_hello_size`, 64 KiB). */
export const MAX_CLIENT_HELLO_BYTES = 65_536;

const RAW: Inspection = { transportProtocol: 'raw_buffer', serverName: '' };
const TLS_NO_SNI: Inspection = { transportProtocol: 'tls', serverName: '' };
const RECORD_HANDSHAKE = 0x16;
const CLIENT_HELLO = 0x01;
const EXT_SERVER_NAME = 0x0000;

/**
 * Inspects the bytes read so far: an {@link Inspection}, or null when more bytes are needed.
 * A ClientHello larger than {@link MAX_CLIENT_HELLO_BYTES} counts as TLS without SNI.
 */
export function inspectClientHello(buf: Buffer): Inspection | null {
  if (buf.length === 0) return null;
  if (buf[0] !== RECORD_HANDSHAKE) return RAW;
  if (buf.length < 6) return buf.length < 2 || buf[1] === 3 ? null : RAW;
  if (buf[1] !== 3 || buf[5] !== CLIENT_HELLO) return RAW;
  const hello = handshakeBytes(buf);
  if (hello === null) return buf.length > MAX_CLIENT_HELLO_BYTES ? TLS_NO_SNI : null;
  if (hello === undefined) return RAW;
  const serverName = sniOf(hello);
  return serverName === null ? RAW : { transportProtocol: 'tls', serverName };
}

/**
 * The ClientHello handshake message, reassembled from consecutive handshake records; null when
 * incomplete, undefined when the records are malformed.
 */
function handshakeBytes(buf: Buffer): Buffer | null | undefined {
  const parts: Buffer[] = [];
  let have = 0;
  let need = -1;
  let off = 0;
  while (off + 5 <= buf.length) {
    if (buf[off] !== RECORD_HANDSHAKE) return undefined;
    const len = buf.readUInt16BE(off + 3);
    if (off + 5 + len > buf.length) return null;
    parts.push(buf.subarray(off + 5, off + 5 + len));
    have += len;
    off += 5 + len;
    if (need < 0 && have >= 4) {
      const head = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
      need = 4 + head.readUIntBE(1, 3);
    }
    if (need >= 0 && have >= need) return Buffer.concat(parts).subarray(0, need);
  }
  return null;
}

/** The host_name of the server_name extension ('' when absent), or null when malformed. */
function sniOf(hello: Buffer): string | null {
  // type(1) length(3) version(2) random(32)
  let off = 4 + 2 + 32;
  if (off + 1 > hello.length) return null;
  off += 1 + (hello[off] as number);
  if (off + 2 > hello.length) return null;
  off += 2 + hello.readUInt16BE(off);
  if (off + 1 > hello.length) return null;
  off += 1 + (hello[off] as number);
  if (off === hello.length) return '';
  if (off + 2 > hello.length) return null;
  const end = off + 2 + hello.readUInt16BE(off);
  if (end > hello.length) return null;
  off += 2;
  while (off + 4 <= end) {
    const type = hello.readUInt16BE(off);
    const len = hello.readUInt16BE(off + 2);
    off += 4;
    if (off + len > end) return null;
    if (type === EXT_SERVER_NAME) return hostName(hello.subarray(off, off + len));
    off += len;
  }
  return '';
}

/** The first `host_name` entry of a ServerNameList. */
function hostName(ext: Buffer): string | null {
  if (ext.length < 2) return null;
  const end = Math.min(ext.length, 2 + ext.readUInt16BE(0));
  let off = 2;
  while (off + 3 <= end) {
    const type = ext[off] as number;
    const len = ext.readUInt16BE(off + 1);
    off += 3;
    if (off + len > end) return null;
    if (type === 0) return ext.toString('latin1', off, off + len).toLowerCase();
    off += len;
  }
  return '';
}

/**
 * Reads `socket` until its first bytes tell TLS from plaintext (and give the SNI), then puts them
 * back so the next reader sees the connection from its first byte. `done` gets null when the
 * peer closed, half-closed or stayed silent for `timeoutMs` first (Envoy closes such a connection).
 * Reads through `'readable'` so that, once the listener is removed, the socket is back in its
 * initial mode: the next consumer's `'data'` listener, TLS wrapper or HTTP/2 session starts it.
 */
export function inspectConnection(
  socket: Socket,
  timeoutMs: number,
  done: (found: Inspection | null) => void,
): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let finished = false;
  const finish = (found: Inspection | null): void => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    socket.removeListener('readable', onReadable);
    socket.removeListener('end', onGone);
    socket.removeListener('close', onGone);
    if (found !== null && size > 0)
      socket.unshift(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks));
    done(found);
  };
  const onReadable = (): void => {
    let chunk: Buffer | null = socket.read() as Buffer | null;
    while (chunk !== null) {
      chunks.push(chunk);
      size += chunk.length;
      chunk = socket.read() as Buffer | null;
    }
    const found = inspectClientHello(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks));
    if (found !== null) finish(found);
  };
  const onGone = (): void => finish(null);
  const timer = setTimeout(onGone, timeoutMs);
  socket.on('readable', onReadable);
  socket.once('end', onGone);
  socket.once('close', onGone);
}
