import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isControlPlaneError } from '../errors.js';
import { parseHealthCheck, parseRegistration } from './registration.js';

function rejects(body: unknown, field: string): void {
  assert.throws(
    () => parseRegistration(body),
    (e) =>
      isControlPlaneError(e, 'MESH_ERR_CP_REGISTRY') && e.status === 400 && e.message.includes(`${field}:`),
  );
}

test('a registration names the field that is wrong', () => {
  rejects(null, '(body)');
  rejects({ address: '127.0.0.1', port: 1 }, 'service');
  rejects({ service: 'Bad_Name', address: '127.0.0.1', port: 1 }, 'service');
  rejects({ service: 'a', port: 1 }, 'address');
  rejects({ service: 'a', address: '127.0.0.1', port: 70000 }, 'port');
  rejects({ service: 'a', address: '127.0.0.1', port: 1, protocol: 'udp' }, 'protocol');
  rejects({ service: 'a', address: '127.0.0.1', port: 1, labels: { v: 1 } }, 'labels.v');
  rejects({ service: 'a', address: '127.0.0.1', port: 1, healthCheck: { type: 'icmp' } }, 'healthCheck.type');
  rejects({ service: 'a', address: '127.0.0.1', port: 1, ttlMs: -5 }, 'ttlMs');
});

test('a valid registration passes through unchanged', () => {
  const body = {
    service: 'inventory',
    address: '127.0.0.1',
    port: 7000,
    protocol: 'grpc',
    labels: { version: 'v2' },
  };
  assert.deepEqual(parseRegistration(body), body);
});

test('health checks get defaults and reject a timeout longer than the interval', () => {
  assert.deepEqual(parseHealthCheck({ type: 'tcp', intervalMs: 2000 }), {
    type: 'tcp',
    path: '/healthz',
    port: undefined,
    intervalMs: 2000,
    timeoutMs: 1000,
    healthyThreshold: 1,
    unhealthyThreshold: 2,
  });
  assert.throws(
    () => parseHealthCheck({ type: 'http', intervalMs: 100, timeoutMs: 500 }),
    /healthCheck.timeoutMs/,
  );
});
