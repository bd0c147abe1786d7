import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { reject } from './client/update.js';
import type { NackEvent } from './server/events.js';
import {
  edsCluster,
  loadAssignment,
  record,
  sleep,
  snapshot,
  startClient,
  startServer,
  waitFor,
} from './test-support.js';
import { TYPE_URLS } from './type-urls.js';

const { CLUSTER: CDS, CLUSTER_LOAD_ASSIGNMENT: EDS } = TYPE_URLS;

describe('ADS delta, server and client end to end', () => {
  test('adds and removals travel as deltas; unchanged resources are not resent', async (t) => {
    const { server, port } = await startServer(t);
    server.setSnapshot('web-1', snapshot('1', [edsCluster('a'), edsCluster('b')]));
    const client = startClient(t, port, { delta: true });
    const pushes = record(server, 'push');
    client.start();
    await waitFor(server, 'ack', (e) => e.typeUrl === CDS && e.version === '1' && e.delta);
    assert.deepEqual([...client.resources('cds').keys()].sort(), ['a', 'b']);
    const removal = waitFor(client, 'update', (u) => u.typeUrl === CDS && u.version === '2');
    server.setSnapshot('web-1', snapshot('2', [edsCluster('a')]));
    const removed = await removal;
    assert.deepEqual(removed.removed, ['b']);
    assert.deepEqual(removed.updated, []);
    const addition = waitFor(client, 'update', (u) => u.typeUrl === CDS && u.version === '3');
    server.setSnapshot('web-1', snapshot('3', [edsCluster('a'), edsCluster('c')]));
    assert.deepEqual((await addition).updated, ['c']);
    const cdsPushes = pushes.filter((p) => p.typeUrl === CDS);
    assert.deepEqual(
      cdsPushes.map((p) => [p.resourceNames.sort(), p.removedNames]),
      [
        [['a', 'b'], []],
        [[], ['b']],
        [['c'], []],
      ],
    );
    assert.deepEqual([...client.resources('cds').keys()].sort(), ['a', 'c']);
  });

  test('a delta wildcard narrowed to names leaves the wildcard on the server', async (t) => {
    const { server, port } = await startServer(t);
    server.setSnapshot('web-1', snapshot('1', [edsCluster('a'), edsCluster('b')]));
    const client = startClient(t, port, { delta: true });
    client.start();
    await client.whenSynced();
    client.watch('cds', ['b']);
    assert.deepEqual([...client.resources('cds').keys()], ['b']);
    const deadline = Date.now() + 2_000;
    const status = () => server.streams('web-1')[0].types.find((s) => s.typeUrl === CDS)!;
    while (status().wildcard && Date.now() < deadline) await sleep(10);
    assert.deepEqual([status().wildcard, status().resourceNames], [false, ['b']]);
    const changed = waitFor(client, 'update', (u) => u.typeUrl === CDS && u.version === '2');
    server.setSnapshot(
      'web-1',
      snapshot('2', [edsCluster('a', { connect_timeout: '5s' }), edsCluster('b', { connect_timeout: '5s' })]),
    );
    const update = await changed;
    assert.deepEqual(update.updated, ['b']);
    assert.deepEqual([...client.resources('cds').keys()], ['b']);
  });

  test('named delta subscriptions: subscribe, unsubscribe, and absent names reported removed', async (t) => {
    const { server, port } = await startServer(t);
    server.setSnapshot(
      'web-1',
      snapshot('1', [edsCluster('a')], [loadAssignment('a', 1), loadAssignment('b', 2)]),
    );
    const client = startClient(t, port, { delta: true });
    client.start();
    await waitFor(server, 'ack', (e) => e.typeUrl === CDS);
    const sub = waitFor(server, 'push', (p) => p.typeUrl === EDS);
    client.watch('eds', ['a', 'missing']);
    const pushed = await sub;
    assert.deepEqual(pushed.resourceNames, ['a']);
    assert.deepEqual(pushed.removedNames, ['missing']);
    const next = waitFor(server, 'push', (p) => p.typeUrl === EDS);
    client.watch('eds', ['b']);
    assert.deepEqual((await next).resourceNames, ['b']);
    await waitFor(client, 'update', (u) => u.typeUrl === EDS && u.resources.has('b'));
    assert.deepEqual([...client.resources('eds').keys()], ['b']);
    assert.deepEqual(server.streams('web-1')[0].types.find((s) => s.typeUrl === EDS)?.resourceNames, ['b']);
  });

  test('a delta NACK keeps the client on its old resources and the rejected version is not resent', async (t) => {
    const { server, port } = await startServer(t);
    server.setSnapshot('web-1', snapshot('1', [edsCluster('a')]));
    const client = startClient(t, port, {
      delta: true,
      onUpdate: (u) => (u.resources.has('bad') ? reject('no') : undefined),
    });
    client.start();
    await waitFor(server, 'ack', (e) => e.typeUrl === CDS);
    const pushes = record(server, 'push');
    const nack = waitFor<NackEvent>(server, 'nack');
    server.setSnapshot('web-1', snapshot('2', [edsCluster('a'), edsCluster('bad')]));
    const event = await nack;
    assert.equal(event.version, '2');
    assert.equal(event.errorMessage, 'no');
    assert.deepEqual([...client.resources('cds').keys()], ['a']);
    server.setSnapshot('web-1', snapshot('2', [edsCluster('a'), edsCluster('bad')]));
    await sleep(100);
    assert.equal(pushes.filter((p) => p.typeUrl === CDS).length, 1);
  });

  test('on reconnect the client sends the versions it holds, so nothing unchanged is resent', async (t) => {
    const first = await startServer(t);
    const snap = snapshot('1', [edsCluster('a'), edsCluster('b')]);
    first.server.setSnapshot('web-1', snap);
    const client = startClient(t, first.port, { delta: true });
    client.start();
    await waitFor(first.server, 'ack', (e) => e.typeUrl === CDS);
    await first.server.close();
    await waitFor(client, 'disconnected');
    const second = await startServer(t, first.port);
    second.server.setSnapshot(
      'web-1',
      snapshot('1', [edsCluster('a'), edsCluster('b', { connect_timeout: '3s' })]),
    );
    const push = await waitFor(second.server, 'push', (p) => p.typeUrl === CDS, 10_000);
    assert.deepEqual(push.resourceNames, ['b']);
    await waitFor(client, 'update', (u) => u.typeUrl === CDS);
    assert.equal((client.resources('cds').get('b') as any).connect_timeout, '3s');
  });
});
