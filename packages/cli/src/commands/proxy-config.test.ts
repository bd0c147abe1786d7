import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { startControlPlane } from '@meshwork/control-plane';
import { AdsClient, TYPE_URLS } from '@meshwork/xds';
import { command, renderConfig } from './proxy-config.js';

const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function capture(fn: () => Promise<number>): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const original = console.log;
  console.log = (m: string) => lines.push(m);
  try {
    return { code: await fn(), out: lines.join('\n') };
  } finally {
    console.log = original;
  }
}

test('proxy-config prints what a connected proxy was sent', async () => {
  const cp = await startControlPlane({ restPort: 0, xdsPort: 0, debounceMs: 5 });
  cleanups.push(() => cp.close());
  cp.registry.register({
    service: 'inventory',
    instanceId: 'inventory-1',
    address: '127.0.0.1',
    port: 7000,
    sidecarPort: 17000,
  });
  const client = new AdsClient({
    address: cp.xdsAddress,
    node: { id: 'orders-1', metadata: { mode: 'sidecar', service: 'orders', outbound_port: 15001 } },
  });
  client.watch(TYPE_URLS.ROUTE_CONFIGURATION, ['outbound']);
  client.start();
  cleanups.push(() => client.close());
  for (let i = 0; i < 200 && client.resources(TYPE_URLS.ROUTE_CONFIGURATION).size === 0; i++)
    await new Promise((r) => setTimeout(r, 10));
  const clusters = await capture(() => command.run(['orders-1', 'clusters', '--server', cp.url]));
  assert.equal(clusters.code, 0);
  assert.match(clusters.out, /outbound\|7000\|\|inventory\.default\.svc\.cluster\.local\s+EDS\s+ROUND_ROBIN/);
  const endpoints = await capture(() => command.run(['orders-1', 'endpoints', '--server', cp.url]));
  assert.match(endpoints.out, /127\.0\.0\.1:17000\s+HEALTHY/);
  const json = await capture(() => command.run(['orders-1', 'routes', '-o', 'json', '--server', cp.url]));
  assert.equal(JSON.parse(json.out).routes.resources[0].name, 'outbound');
  const list = await capture(() => command.run(['--server', cp.url]));
  assert.match(list.out, /orders-1\s+sidecar\s+orders\s+ACKED/);
});

test('routes render one row per route with its action', () => {
  const out = renderConfig('routes', [
    {
      name: 'outbound',
      virtual_hosts: [
        {
          name: 'reviews',
          domains: ['reviews', 'reviews:9080'],
          routes: [
            {
              match: { prefix: '/' },
              route: {
                weighted_clusters: {
                  clusters: [
                    { name: 'a', weight: 90 },
                    { name: 'b', weight: 10 },
                  ],
                },
              },
            },
          ],
        },
      ],
    },
  ]);
  assert.match(out, /outbound\s+reviews\s+reviews \+1\s+\/\s+a 90, b 10/);
});
