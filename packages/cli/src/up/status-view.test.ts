import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderStatus } from './status-view.js';

test('status lists processes, registry instances with health and proxy config versions', () => {
  const lines = renderStatus({
    state: {
      pid: 1,
      system: 'shop',
      mode: 'mesh',
      gateway: 'http://127.0.0.1:8080',
      controlPlane: 'http://127.0.0.1:15080',
      components: [
        {
          id: 'orders-1',
          kind: 'service',
          state: 'ready',
          pid: 9,
          restarts: 1,
          ports: { app: 5000 },
          since: 0,
        },
      ],
    },
    registry: {
      services: [
        {
          name: 'catalog',
          instances: [
            { instanceId: 'catalog-1', address: '127.0.0.1', port: 4001, healthy: true, version: 'v1' },
            {
              instanceId: 'catalog-3',
              address: '127.0.0.1',
              port: 4003,
              ready: false,
              labels: { version: 'v2' },
            },
            {
              instanceId: 'catalog-4',
              address: '127.0.0.1',
              port: 4004,
              ready: true,
              healthy: false,
              check: { type: 'http', status: 'failing', error: 'status 503' },
            },
            {
              instanceId: 'catalog-5',
              address: '127.0.0.1',
              port: 4005,
              ready: true,
              healthy: false,
              outlier: true,
            },
            { instanceId: 'catalog-6', address: '127.0.0.1', port: 4006, expired: true, healthy: false },
          ],
        },
      ],
    },
    proxies: {
      proxies: [
        {
          id: 'catalog-1',
          mode: 'sidecar',
          versions: { listeners: '3', clusters: '4', endpoints: '7' },
          streams: [{ types: [{ state: 'ACKED' }, { state: 'PENDING' }] }],
        },
      ],
    },
  }).join('\n');
  assert.match(
    lines,
    /shop \(mesh\) — gateway http:\/\/127\.0\.0\.1:8080, control plane http:\/\/127\.0\.0\.1:15080/,
  );
  assert.match(lines, /orders-1 +ready +9 +1 +app:5000/);
  assert.match(lines, /catalog +catalog-1 +127\.0\.0\.1:4001 +HEALTHY +v1/);
  assert.match(lines, /catalog +catalog-3 +127\.0\.0\.1:4003 +NOT READY +v2/);
  assert.match(lines, /catalog-4 +127\.0\.0\.1:4004 +CHECK FAILING \(status 503\)/);
  assert.match(lines, /catalog-5 +127\.0\.0\.1:4005 +EJECTED \(outlier\)/);
  assert.match(lines, /catalog-6 +127\.0\.0\.1:4006 +EXPIRED \(missed heartbeats\)/);
  assert.match(lines, /catalog-1 +sidecar +3 +- +4 +7 +PENDING/);
});

test('with nothing known it says so', () => {
  assert.deepEqual(renderStatus({}), ['nothing is running']);
  assert.match(renderStatus({ registry: [] }).join('\n'), /no services registered/);
});
