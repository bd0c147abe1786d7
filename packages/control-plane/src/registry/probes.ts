/**
 * Active health probes: HTTP GET expecting 2xx, TCP connect, and the gRPC health protocol
 * (`grpc.health.v1.Health/Check` must answer SERVING). Each resolves on pass and rejects with the
 * reason on failure or timeout.
 */
import { request } from 'node:http';
import { connect } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import type { HealthCheckType } from './instance.js';

/** Where and how to probe. */
export interface ProbeTarget {
  type: HealthCheckType;
  address: string;
  port: number;
  /** HTTP path. */
  path: string;
  timeoutMs: number;
}

/** A probe: resolves when the target is healthy. */
export type Probe = (target: ProbeTarget) => Promise<void>;

function httpProbe(t: ProbeTarget): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: t.address, port: t.port, path: t.path, method: 'GET', timeout: t.timeoutMs, agent: false },
      (res) => {
        res.resume();
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) resolve();
        else reject(new Error(`HTTP ${status} from ${t.path}`));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no response within ${t.timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

function tcpProbe(t: ProbeTarget): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: t.address, port: t.port });
    const timer = setTimeout(
      () => socket.destroy(new Error(`no connection within ${t.timeoutMs} ms`)),
      t.timeoutMs,
    );
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve();
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

// HealthCheckRequest{service=""} encodes to zero bytes; the response is field 1 (status) as a varint.
const SERVING = 1;
const serialize = (_: unknown): Buffer => Buffer.alloc(0);
const deserialize = (buf: Buffer): number => {
  let i = 0;
  while (i < buf.length) {
    const tag = buf[i++];
    if (tag === 0x08) return buf[i];
    // Skip an unknown varint field; the health response has no other fields today.
    while (i < buf.length && buf[i] & 0x80) i++;
    i++;
  }
  return 0; // UNKNOWN: proto3 omits the default.
};

function grpcProbe(t: ProbeTarget): Promise<void> {
  const client = new grpc.Client(`${t.address}:${t.port}`, grpc.credentials.createInsecure());
  return new Promise<void>((resolve, reject) => {
    client.makeUnaryRequest(
      '/grpc.health.v1.Health/Check',
      serialize,
      deserialize,
      {},
      { deadline: Date.now() + t.timeoutMs },
      (err, status) => {
        if (err) reject(new Error(`grpc health: ${err.details || err.message}`));
        else if (status !== SERVING) reject(new Error(`grpc health: status ${status} (want SERVING)`));
        else resolve();
      },
    );
  }).finally(() => client.close());
}

/** The probe for each check type. */
export const defaultProbe: Probe = (target) => {
  switch (target.type) {
    case 'http':
      return httpProbe(target);
    case 'tcp':
      return tcpProbe(target);
    case 'grpc':
      return grpcProbe(target);
  }
};
