import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { describe, test } from 'node:test';
import { AdsClient } from './client/ads-client.js';
import { reject } from './client/update.js';
import { AdsServer } from './server/ads-server.js';
import type { NackEvent } from './server/events.js';
import {
  BACKOFF,
  edsCluster,
  httpListener,
  loadAssignment,
  record,
  sleep,
  snapshot,
  startClient,
  startServer,
  waitFor,
} from './test-support.js';
import { TYPE_URLS } from './type-urls.js';

const { LISTENER: LDS, CLUSTER: CDS, CLUSTER_LOAD_ASSIGNMENT: EDS } = TYPE_URLS;

describe('ADS state of the world, server and client end to end', () => {
  test('initial sync delivers LDS and CDS and the server records both ACKs', async (t) => {
    const { server, port } = await startServer(t);
    server.setSnapshot('web-1', snapshot('1', [edsCluster('inventory')]));
    const connects = record(server, 'connect');
    const client = startClient(t, port);
    const acks = Promise.all([
      waitFor(server, 'ack', (e) => e.typeUrl === LDS && e.version === '1'),
      waitFor(server, 'ack', (e) => e.typeUrl === CDS && e.version === '1'),
    ]);
    client.start();
    await client.whenSynced();
    assert.deepEqual([...client.resources('lds').keys()], ['http']);
    const [ldsAck] = await acks;
    assert.equal(ldsAck.nodeId, 'web-1');
    assert.deepEqual([...client.resources('lds').keys()], ['http']);
    assert.equal((client.resources('cds').get('inventory') as any).type, 'EDS');
    assert.equal(client.version('cds'), '1');
    assert.equal(connects[0].node.user_agent_name, 'meshwork');
    assert.equal(connects[0].node.cluster, 'web');
    assert.match(connects[0].peer, /127\.0\.0\.1:\d+$/);
  });

  test('a new snapshot is pushed, delivered as an update and ACKed', async (t) => {
    const { server, port } = await startServer(t);
    server.setSnapshot('web-1', snapshot('1', [edsCluster('inventory')]));
    const client = startClient(t, port);
    client.start();
    await waitFor(server, 'ack', (e) => e.typeUrl === CDS && e.version === '1');
    const update = waitFor(client, 'update', (u) => u.typeUrl === CDS && u.version === '2');
    const ack = waitFor(server, 'ack', (e) => e.typeUrl === CDS && e.version === '2');
    server.setSnapshot(
      'web-1',
      snapshot('2', [edsCluster('inventory', { connect_timeout: '2s' }), edsCluster('cart')]),
    );
    const got = await update;
    assert.deepEqual(got.updated.sort(), ['cart', 'inventory']);
    assert.deepEqual(got.removed, []);
    await ack;
    assert.equal((client.resources('cds').get('inventory') as any).connect_timeout, '2s');
  });

  test('a rejected update is NACKed with its error, the old version is kept and not resent', async (t) => {
    const { server, port } = await startServer(t);
    server.setSnapshot('web-1', snapshot('1', [edsCluster('inventory')]));
    const client = startClient(t, port, {
      onUpdate: (u) => (u.resources.has('broken') ? reject('cluster "broken" has no endpoints') : undefined),
    });
    client.start();
    await waitFor(server, 'ack', (e) => e.typeUrl === CDS && e.version === '1');
    const pushes = record(server, 'push');
    const nack = waitFor<NackEvent>(server, 'nack');
    server.setSnapshot('web-1', snapshot('2', [edsCluster('inventory'), edsCluster('broken')]));
    const event = await nack;
    assert.equal(event.typeUrl, CDS);
    assert.equal(event.version, '2');
    assert.equal(event.lastGoodVersion, '1');
    assert.equal(event.errorMessage, 'cluster "broken" has no endpoints');
    assert.equal(event.errorCode, 3);
    assert.equal(client.version('cds'), '1');
    assert.deepEqual([...client.resources('cds').keys()], ['inventory']);
    assert.deepEqual(server.streams('web-1')[0].types.find((s) => s.typeUrl === CDS)?.nack?.version, '2');
    // The same version again (LDS changed, CDS did not) must not be pushed back to the client.
    server.setSnapshot('web-1', { ...snapshot('2', [edsCluster('inventory'), edsCluster('broken')]) });
    await sleep(100);
    assert.equal(pushes.filter((p) => p.typeUrl === CDS).length, 1);
    const fixed = waitFor(server, 'ack', (e) => e.typeUrl === CDS && e.version === '3');
    server.setSnapshot('web-1', snapshot('3', [edsCluster('inventory'), edsCluster('cart')]));
    await fixed;
    assert.deepEqual([...client.resources('cds').keys()].sort(), ['cart', 'inventory']);
  });

  test('EDS follows the names the client watches', async (t) => {
    const { server, port } = await startServer(t);
    const eps = [loadAssignment('a', 1001), loadAssignment('b', 1002), loadAssignment('c', 1003)];
    server.setSnapshot('web-1', snapshot('1', [edsCluster('a')], eps));
    const client = startClient(t, port);
    client.start();
    await waitFor(server, 'ack', (e) => e.typeUrl === CDS);
    const first = waitFor(server, 'ack', (e) => e.typeUrl === EDS);
    client.watch('eds', ['a']);
    await first;
    assert.deepEqual([...client.resources('eds').keys()], ['a']);
    const second = waitFor(client, 'update', (u) => u.typeUrl === EDS && u.resources.size === 2);
    client.watch('eds', ['a', 'b']);
    assert.deepEqual([...(await second).resources.keys()].sort(), ['a', 'b']);
    const pushed = waitFor(server, 'push', (p) => p.typeUrl === EDS && p.resourceNames.length === 1);
    client.watch('eds', ['b']);
    assert.deepEqual((await pushed).resourceNames, ['b']);
    assert.deepEqual([...client.resources('eds').keys()], ['b']);
    assert.deepEqual(server.streams('web-1')[0].types.find((s) => s.typeUrl === EDS)?.resourceNames, ['b']);
  });

  test('a snapshot that leaves the watched resources unchanged pushes nothing and reports "current"', async (t) => {
    const { server, port } = await startServer(t);
    const eps = [loadAssignment('a', 1001), loadAssignment('b', 1002)];
    server.setSnapshot('web-1', snapshot('1', [edsCluster('a')], eps));
    const client = startClient(t, port);
    client.start();
    client.watch('eds', ['a']);
    await waitFor(server, 'ack', (e) => e.typeUrl === EDS && e.version === '1');
    const pushes = record(server, 'push');
    const current = waitFor(server, 'current', (e) => e.typeUrl === EDS && e.version === '2');
    server.setSnapshot('web-1', {
      ...snapshot('1', [edsCluster('a')]),
      eds: { version: '2', resources: [loadAssignment('a', 1001), loadAssignment('b', 2002)] },
    });
    await current;
    await sleep(50);
    assert.deepEqual(
      pushes.filter((p) => p.typeUrl === EDS),
      [],
    );
  });

  test('the client reconnects after a server restart and resyncs from the new server', async (t) => {
    const first = await startServer(t);
    first.server.setSnapshot('web-1', snapshot('1', [edsCluster('inventory')]));
    const client = startClient(t, first.port);
    client.start();
    await waitFor(first.server, 'ack', (e) => e.typeUrl === CDS && e.version === '1');
    const disconnected = waitFor(client, 'disconnected');
    await first.server.close();
    const { reconnectInMs } = await disconnected;
    assert.ok(reconnectInMs <= BACKOFF.maxMs);
    assert.equal(client.connected, false);
    // The proxy keeps serving its last good config while the control plane is gone.
    assert.deepEqual([...client.resources('cds').keys()], ['inventory']);
    const second = await startServer(t, first.port);
    second.server.setSnapshot('web-1', snapshot('7', [edsCluster('inventory'), edsCluster('cart')]));
    await waitFor(second.server, 'ack', (e) => e.typeUrl === CDS && e.version === '7', 10_000);
    assert.equal(client.connected, true);
    assert.deepEqual([...client.resources('cds').keys()].sort(), ['cart', 'inventory']);
  });

  test('a change to every type is pushed make-before-break: CDS, EDS, LDS, RDS', async (t) => {
    const { server, port } = await startServer(t);
    const full = (v: string, p: number) => ({
      ...snapshot(v, [edsCluster('a', { connect_timeout: `${p}s` })], [loadAssignment('a', p)]),
      lds: { version: v, resources: [httpListener('http', 8000 + p, 'http.8080')] },
      rds: {
        version: v,
        resources: [{ name: 'http.8080', virtual_hosts: [{ name: 'v', domains: [`d${p}`] }] }],
      },
    });
    server.setSnapshot('web-1', full('1', 1));
    const client = startClient(t, port);
    client.watch('rds', ['http.8080']);
    client.watch('eds', ['a']);
    client.start();
    await Promise.all(
      [LDS, CDS, EDS, TYPE_URLS.ROUTE_CONFIGURATION].map((typeUrl) =>
        waitFor(server, 'ack', (e) => e.typeUrl === typeUrl && e.version === '1'),
      ),
    );
    const pushes = record(server, 'push');
    server.setSnapshot('web-1', full('2', 2));
    assert.deepEqual(
      pushes.map((p) => p.typeUrl),
      [CDS, EDS, LDS, TYPE_URLS.ROUTE_CONFIGURATION],
    );
  });

  test('a client going away is reported and its stream forgotten; pushes to it stop', async (t) => {
    const { server, port } = await startServer(t);
    server.setSnapshot('web-1', snapshot('1', [edsCluster('a')]));
    const client = startClient(t, port);
    client.start();
    await client.whenSynced();
    assert.deepEqual(server.connectedNodes(), ['web-1']);
    const gone = waitFor(server, 'disconnect', (e) => e.nodeId === 'web-1');
    client.close();
    await gone;
    assert.deepEqual(server.connectedNodes(), []);
    assert.deepEqual(server.streams(), []);
    const pushes = record(server, 'push');
    server.setSnapshot('web-1', snapshot('2', [edsCluster('b')]));
    assert.deepEqual(pushes, []);
  });

  test('a node the authorizer refuses is never served and its stream ends PERMISSION_DENIED', async (t) => {
    const peers: string[] = [];
    const server = new AdsServer({
      authorizeNode: (node, peer) => {
        peers.push(peer.address);
        return node.id !== 'intruder';
      },
    });
    const port = await server.listen('127.0.0.1:0');
    t.after(() => server.close());
    server.setSnapshot('intruder', snapshot('1', [edsCluster('secret-backend')]));
    const pushes = record(server, 'push');
    const client = startClient(t, port, { node: { id: 'intruder' } });
    client.start();
    const { error } = await waitFor(client, 'disconnected');
    assert.equal(error.code, 7); // PERMISSION_DENIED
    assert.deepEqual(pushes, []);
    assert.deepEqual([...client.resources('cds').keys()], []);
    assert.match(peers[0], /127\.0\.0\.1/);
  });

  test('listen twice, or after close, is refused with a code', async (t) => {
    const { server } = await startServer(t);
    await assert.rejects(server.listen('127.0.0.1:0'), { code: 'MESH_ERR_XDS_MISUSE' });
    await server.close();
    await assert.rejects(server.listen('127.0.0.1:0'), { code: 'MESH_ERR_XDS_CLOSED' });
  });

  test('a client with an invalid node fails at construction, naming the field', () => {
    assert.throws(() => new AdsClient({ address: '127.0.0.1:1', node: { id: 'x', locality: { zone: 7 } } }), {
      code: 'MESH_ERR_XDS_INVALID',
      message: 'locality.zone: expected string, got number 7',
    });
  });

  test('a wildcard type can be narrowed to names (as proxyless gRPC subscribes)', async (t) => {
    const { server, port } = await startServer(t);
    server.setSnapshot('web-1', snapshot('1', [edsCluster('a'), edsCluster('b')]));
    const client = startClient(t, port);
    client.start();
    await client.whenSynced();
    const narrowed = waitFor(server, 'push', (p) => p.typeUrl === CDS && p.resourceNames.length === 1);
    client.watch('cds', ['b']);
    assert.deepEqual((await narrowed).resourceNames, ['b']);
    assert.deepEqual([...client.resources('cds').keys()], ['b']);
    const status = server.streams('web-1')[0].types.find((s) => s.typeUrl === CDS)!;
    assert.deepEqual([status.wildcard, status.resourceNames], [false, ['b']]);
    // Removing b from the snapshot removes it from the client: CDS responses are complete sets.
    const emptied = waitFor(client, 'update', (u) => u.typeUrl === CDS && u.version === '2');
    server.setSnapshot('web-1', snapshot('2', [edsCluster('a')]));
    assert.deepEqual((await emptied).removed, ['b']);
  });

  test('followReferences subscribes to the routes and assignments accepted resources name', async (t) => {
    const { server, port } = await startServer(t);
    const full = (version: string, clusters: string[]) => ({
      ...snapshot(
        version,
        clusters.map((c) => edsCluster(c)),
        [loadAssignment('a', 1), loadAssignment('b', 2)],
      ),
      rds: { version, resources: [{ name: 'http.8080', virtual_hosts: [{ name: 'v', domains: ['*'] }] }] },
    });
    server.setSnapshot('web-1', full('1', ['a', 'b']));
    const client = startClient(t, port, { followReferences: true });
    client.start();
    await client.whenSynced(['lds', 'cds', 'rds', 'eds']);
    assert.deepEqual([...client.resources('rds').keys()], ['http.8080']);
    assert.deepEqual([...client.resources('eds').keys()].sort(), ['a', 'b']);
    const narrowed = waitFor(server, 'push', (p) => p.typeUrl === EDS && p.resourceNames.length === 1);
    server.setSnapshot('web-1', full('2', ['b']));
    assert.deepEqual((await narrowed).resourceNames, ['b']);
    assert.deepEqual([...client.resources('eds').keys()], ['b']);
  });

  test('whenSynced rejects when the client is closed before its first update', async (t) => {
    const { port } = await startServer(t); // no snapshot: nothing is ever sent
    const client = startClient(t, port);
    client.start();
    const synced = client.whenSynced(['cds']);
    client.close();
    await assert.rejects(synced, { code: 'MESH_ERR_XDS_CLOSED' });
  });

  test('a resolver supplies the snapshot of a node the server has not seen', async (t) => {
    const server = new AdsServer({
      resolveSnapshot: async (node) =>
        node.metadata?.role === 'gateway' ? snapshot('g1', [edsCluster('edge')]) : undefined,
    });
    const port = await server.listen('127.0.0.1:0');
    t.after(() => server.close());
    const client = startClient(t, port, { node: { id: 'gw-1', metadata: { role: 'gateway' } } });
    client.start();
    await waitFor(server, 'ack', (e) => e.typeUrl === CDS && e.version === 'g1');
    assert.deepEqual([...client.resources('cds').keys()], ['edge']);
  });

  test('a malformed request ends its own stream with a status; other proxies keep being served', async (t) => {
    const { server, port } = await startServer(t);
    server.setSnapshot('web-1', snapshot('1', [edsCluster('inventory')]));
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on('error', () => {}); // the server's shutdown at the end of the test
    t.after(() => session.close());
    const req = session.request({
      ':method': 'POST',
      ':path': '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources',
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    // A DiscoveryRequest whose type_url claims 80 bytes and carries 3.
    const message = Buffer.from([0x22, 80, 0x61, 0x62, 0x63]);
    const frame = Buffer.concat([Buffer.from([0, 0, 0, 0, message.length]), message]);
    const status = new Promise<string | undefined>((resolve) => {
      req.on('trailers', (trailers) => resolve(String(trailers['grpc-status'])));
      req.on('response', (headers) => {
        if (headers['grpc-status'] !== undefined) resolve(String(headers['grpc-status']));
      });
      req.on('close', () => resolve(undefined));
    });
    req.on('data', () => {});
    req.on('error', () => {});
    req.write(frame);
    const code = await status;
    assert.ok(code !== undefined && code !== '0', `expected an error status, got ${code}`);
    const client = startClient(t, port);
    client.start();
    await waitFor(server, 'ack', (e) => e.typeUrl === CDS && e.version === '1');
    assert.deepEqual([...client.resources('cds').keys()], ['inventory']);
  });
});
