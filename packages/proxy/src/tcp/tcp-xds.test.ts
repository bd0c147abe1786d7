/**
 * TCP proxy listeners pushed over ADS by a real control plane: they serve, an update re-targets
 * new connections without cutting open ones, and an invalid one is NACKed naming the field.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { AdsServer, type NackEvent, type SnapshotInput } from '@meshwork/xds';
import { proxyNode } from '../xds/node-identity.js';
import { startXdsProxy } from '../xds/xds-proxy.js';
import { client, type EchoUpstream, startEcho, tcpFilter, until } from './test-support/tcp-harness.js';

const NODE = proxyNode({ nodeId: 'tcp-edge-1', service: 'tcp-edge', mode: 'gateway' });
const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

function tcpListener(typed: Record<string, unknown>) {
  return {
    name: 'tcp',
    address: { socket_address: { address: '127.0.0.1', port_value: 0 } },
    filter_chains: [{ filters: [tcpFilter(typed)] }],
  };
}

function snapshot(
  version: string,
  typed: Record<string, unknown>,
  upstreams: Record<string, EchoUpstream>,
): SnapshotInput {
  const names = Object.keys(upstreams);
  return {
    lds: { version, resources: [tcpListener(typed)] },
    rds: { version, resources: [] },
    cds: {
      version,
      resources: names.map((name) => ({
        name,
        type: 'EDS',
        connect_timeout: '1s',
        eds_cluster_config: { eds_config: { ads: {} } },
      })),
    },
    eds: {
      version,
      resources: names.map((n) => ({
        cluster_name: n,
        endpoints: [
          {
            lb_endpoints: [
              {
                endpoint: {
                  address: { socket_address: { address: '127.0.0.1', port_value: upstreams[n]!.port } },
                },
              },
            ],
          },
        ],
      })),
    },
  };
}

describe('tcp_proxy over ADS', () => {
  test('an LDS push serves TCP; an update re-targets new connections and keeps open ones; a bad one is NACKed', async () => {
    const server = new AdsServer();
    const address = `127.0.0.1:${await server.listen('127.0.0.1:0')}`;
    cleanups.push(() => server.close());
    const a = await startEcho('A:');
    const b = await startEcho('B:');
    cleanups.push(
      () => a.close(),
      () => b.close(),
    );
    const p = await startXdsProxy({
      address,
      node: NODE,
      mode: 'gateway',
      adminPort: 0,
      backoff: { initialMs: 20, maxMs: 100 },
    });
    cleanups.push(() => p.close());

    server.setSnapshot(NODE.id, snapshot('1', { cluster: 'a' }, { a, b }));
    // Ready: the clusters and their endpoints are in force, not only the listener.
    await p.source.whenReady();
    const port = p.proxy.listenerPort('tcp');
    const old = client(port);
    await until(() => old.got.data === 'A:', 'v1 connection on a');

    server.setSnapshot(NODE.id, snapshot('2', { cluster: 'b', idle_timeout: '0s' }, { a, b }));
    await until(() => p.proxy.store.versions.listeners?.versionInfo === '2', 'v2');
    const fresh = client(port);
    await until(() => fresh.got.data === 'B:', 'v2 connection on b');
    old.socket.write('kept');
    await until(() => old.got.data === 'A:kept', 'the v1 connection still flows');

    const nacked = new Promise<NackEvent>((resolve) => server.once('nack', resolve));
    server.setSnapshot(NODE.id, snapshot('3', { stat_prefix: '', cluster: 'a' }, { a, b }));
    const nack = await nacked;
    assert.match(nack.errorMessage, /filter_chains\[0\]\.filters\[0\]\.typed_config\.stat_prefix/);
    assert.equal(p.proxy.store.versions.listeners?.versionInfo, '2');
    old.socket.destroy();
    fresh.socket.destroy();
  });
});
