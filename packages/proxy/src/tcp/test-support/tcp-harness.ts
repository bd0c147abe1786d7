/**
 * Helpers of the TCP proxy tests: raw echo upstreams (plain and TLS), bootstraps whose listener
 * holds TCP proxy chains, a client that collects everything until the proxy closes, and polling.
 */
import { readdirSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import type { TestCert } from '../../tls/test-support/certs.js';
import { TCP_PROXY_TYPE_URL } from '../tcp-proxy-config.js';

/** A raw upstream: `prefix` then every byte received echoed back; FIN answered with FIN. */
export interface EchoUpstream {
  readonly port: number;
  readonly server: Server;
  /** Sockets the upstream accepted so far (closed ones included). */
  readonly accepted: Socket[];
  close(): Promise<void>;
}

/** Starts an echo upstream (TLS when `cert` is given, on `port` when not 0). Each connection first gets `prefix`. */
export async function startEcho(prefix = '', cert?: TestCert, port = 0): Promise<EchoUpstream> {
  const accepted: Socket[] = [];
  const onSocket = (s: Socket) => {
    accepted.push(s);
    s.on('error', () => {});
    if (prefix !== '') s.write(prefix);
    s.pipe(s);
  };
  const server: Server =
    cert === undefined
      ? createServer({ allowHalfOpen: true }, onSocket)
      : createTlsServer({ cert: cert.cert, key: cert.key, allowHalfOpen: true }, onSocket);
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  const bound = (server.address() as { port: number }).port;
  const close = () =>
    new Promise<void>((r) => {
      for (const s of accepted) s.destroy();
      server.close(() => r());
    });
  return { port: bound, server, accepted, close };
}

/** A network filter entry of the TCP proxy. */
export function tcpFilter(config: Record<string, unknown>): Record<string, unknown> {
  return {
    name: 'envoy.filters.network.tcp_proxy',
    typed_config: { '@type': TCP_PROXY_TYPE_URL, stat_prefix: 'tcp', ...config },
  };
}

/** A bootstrap with one listener `main` holding `chains`, the given clusters and an admin port. */
export function tcpBootstrap(chains: unknown[], clusters: unknown[], listener: Record<string, unknown> = {}) {
  return {
    node: { id: 'test-node', cluster: 'test' },
    admin: { address: { socket_address: { address: '127.0.0.1', port_value: 0 } } },
    static_resources: {
      listeners: [
        {
          name: 'main',
          address: { socket_address: { address: '127.0.0.1', port_value: 0 } },
          filter_chains: chains,
          ...listener,
        },
      ],
      clusters,
    },
  };
}

/** What a client saw of one connection. */
export interface Received {
  data: string;
  /** The proxy sent FIN (or the connection closed). */
  ended: boolean;
  closed: boolean;
}

/** A connected client that records what it receives. */
export function client(port: number): { socket: Socket; got: Received; connected: Promise<void> } {
  const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
  const got: Received = { data: '', ended: false, closed: false };
  socket.on('data', (d: Buffer) => {
    got.data += d.toString('latin1');
  });
  // The proxy's FIN: finish our side too, so `closed` follows.
  socket.on('end', () => {
    got.ended = true;
    socket.end();
  });
  socket.on('close', () => {
    got.closed = true;
  });
  socket.on('error', () => {});
  const connected = new Promise<void>((r) => socket.once('connect', () => r()));
  return { socket, got, connected };
}

/** Polls `cond` every 10 ms until it holds; fails after `timeoutMs`. */
export async function until(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Open file descriptors of this process. */
export function fdCount(): number {
  return readdirSync('/proc/self/fd').length;
}
