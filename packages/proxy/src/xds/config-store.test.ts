import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { ProxyConfigError } from '../errors.js';
import {
  buildBootstrap,
  send,
  sleep,
  startProxy,
  startUpstream,
  staticCluster,
  type TestProxy,
  type Upstream,
} from '../test-support/harness.js';

const routeTo = (cluster: string) => ({
  name: 'dynamic',
  virtual_hosts: [{ name: 'all', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster } }] }],
});

/** Sends requests one after another on one keep-alive connection; returns each body. */
function keepAliveClient(port: number) {
  const sock = connect(port, '127.0.0.1');
  let buf = '';
  sock.on('data', (d) => {
    buf += d.toString('latin1');
  });
  return {
    async get(path: string): Promise<string> {
      buf = '';
      sock.write(`GET ${path} HTTP/1.1\r\nHost: a\r\n\r\n`);
      for (let i = 0; i < 200; i++) {
        const end = buf.indexOf('\r\n\r\n');
        const m = /content-length: (\d+)/i.exec(buf);
        if (end >= 0 && m && buf.length >= end + 4 + Number(m[1])) return buf.slice(end + 4);
        await sleep(5);
      }
      throw new Error(`no response: ${buf}`);
    },
    close: () => sock.destroy(),
  };
}

describe('runtime configuration swaps (the seam xDS updates use)', () => {
  let a: Upstream;
  let b: Upstream;
  let px: TestProxy;
  before(async () => {
    a = await startUpstream((req, res) => {
      const delay = req.url === '/slow' ? 200 : 0;
      setTimeout(() => {
        res.writeHead(200, { 'content-length': '1' });
        res.end('A');
      }, delay);
    });
    b = await startUpstream((_req, res) => {
      res.writeHead(200, { 'content-length': '1' });
      res.end('B');
    });
    px = await startProxy(
      buildBootstrap({
        routes: [],
        hcm: { route_config: undefined, rds: { route_config_name: 'dynamic' } },
        clusters: [staticCluster('a', [a.port]), staticCluster('b', [b.port])],
      }),
    );
  });
  after(async () => {
    await px.close();
    await a.close();
    await b.close();
  });

  test('before any RDS update requests get 404 (NR); after it they are routed', async () => {
    assert.equal((await send(px.port)).status, 404);
    px.proxy.store.applyRouteConfigurations([routeTo('a')], 'v1');
    assert.equal((await send(px.port)).body, 'A');
  });

  test('a route swap applies to new requests while an in-flight one finishes on the old route, and open connections stay open', async () => {
    px.proxy.store.applyRouteConfigurations([routeTo('a')], 'v1');
    const client = keepAliveClient(px.port);
    try {
      assert.equal(await client.get('/first'), 'A');
      const inflight = send(px.port, { path: '/slow' });
      await sleep(50);
      px.proxy.store.applyRouteConfigurations([routeTo('b')], 'v2');
      assert.equal((await send(px.port)).body, 'B');
      assert.equal(
        await client.get('/second'),
        'B',
        'the same keep-alive connection now follows the new routes',
      );
      const slow = await inflight;
      assert.equal(slow.status, 200);
      assert.equal(slow.body, 'A');
    } finally {
      client.close();
    }
  });

  test('a rejected update throws with the field path and the previous routes keep serving', async () => {
    px.proxy.store.applyRouteConfigurations([routeTo('b')], 'v3');
    const bad = {
      name: 'dynamic',
      virtual_hosts: [
        {
          name: 'all',
          domains: ['*'],
          routes: [{ match: { prefix: '/' }, route: { cluster: 'a', timeout: 'soon' } }],
        },
      ],
    };
    assert.throws(
      () => px.proxy.store.applyRouteConfigurations([bad], 'v4'),
      (e: unknown) =>
        e instanceof ProxyConfigError &&
        e.path === 'route_configurations[0].virtual_hosts[0].routes[0].route.timeout',
    );
    assert.equal(px.proxy.store.versions.routes?.versionInfo, 'v3');
    assert.equal((await send(px.port)).body, 'B');
  });

  test('a cluster update moves new requests to the new endpoints without failing the in-flight one', async () => {
    px.proxy.store.applyRouteConfigurations([routeTo('a')], 'v5');
    const inflight = send(px.port, { path: '/slow' });
    await sleep(50);
    px.proxy.store.applyClusters([staticCluster('a', [b.port]), staticCluster('b', [b.port])], 'c2');
    assert.equal((await send(px.port)).body, 'B');
    assert.equal((await inflight).body, 'A');
  });
});
