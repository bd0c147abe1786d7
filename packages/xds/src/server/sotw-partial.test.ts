import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { reject } from '../client/update.js';
import {
  edsCluster,
  loadAssignment,
  record,
  sleep,
  snapshot,
  snapshotChain,
  startClient,
  startServer,
  waitFor,
} from '../test-support.js';
import { TYPE_URLS } from '../type-urls.js';
import type { PushEvent } from './events.js';
import type { SnapshotInput, XdsSnapshot } from './snapshot.js';

const { CLUSTER: CDS, CLUSTER_LOAD_ASSIGNMENT: EDS } = TYPE_URLS;
const clusters = [edsCluster('a'), edsCluster('b'), edsCluster('c')];

function portsOf(resources: ReadonlyMap<string, unknown>): Record<string, boolean> {
  const out: Record<string, boolean> = {};
  for (const [name, json] of resources) out[name] = JSON.stringify(json).includes('"port_value"');
  return out;
}

/** How a test's snapshots are built: each on its own, or each from the one before (as a control plane does). */
const builders: [string, () => (input: SnapshotInput) => SnapshotInput | XdsSnapshot][] = [
  ['snapshots built on their own', () => (input) => input],
  ['snapshots built from the previous one', snapshotChain],
];

for (const [label, builder] of builders) {
  describe(`SotW pushes of named types carry only what changed (${label})`, () => {
    test('an EDS change sends the changed assignment alone; CDS is still sent whole', async (t) => {
      const build = builder();
      const { server, port } = await startServer(t);
      const eps = [loadAssignment('a', 1001), loadAssignment('b', 1002), loadAssignment('c', 1003)];
      server.setSnapshot('web-1', build(snapshot('1', clusters, eps)));
      const client = startClient(t, port);
      client.start();
      client.watch('eds', ['a', 'b', 'c']);
      await waitFor(server, 'ack', (e) => e.typeUrl === EDS && e.version === '1');
      const pushes = record<PushEvent>(server, 'push');
      const acked = waitFor(server, 'ack', (e) => e.typeUrl === EDS && e.version === '2');
      const changedClusters = [edsCluster('a', { connect_timeout: '3s' }), edsCluster('b'), edsCluster('c')];
      server.setSnapshot(
        'web-1',
        build(
          snapshot('2', changedClusters, [
            loadAssignment('a', 1001),
            loadAssignment('b', 2002),
            loadAssignment('c', 1003),
          ]),
        ),
      );
      await acked;
      assert.deepEqual(
        pushes.map((p) => [p.typeUrl, p.resourceNames]),
        [
          [CDS, ['a', 'b', 'c']],
          [EDS, ['b']],
        ],
      );
      const held = client.resources('eds');
      assert.deepEqual([...held.keys()].sort(), ['a', 'b', 'c']);
      assert.deepEqual(portsOf(held), { a: true, b: true, c: true });
      assert.match(JSON.stringify(held.get('b')), /2002/);
      assert.match(JSON.stringify(held.get('a')), /1001/);
    });

    test('a rejected partial response is not resent alone, and is resent with the next change', async (t) => {
      const build = builder();
      const { server, port } = await startServer(t);
      const client = startClient(t, port, {
        onUpdate: (u) =>
          u.typeUrl === EDS && JSON.stringify([...u.resources.values()]).includes('6666')
            ? reject('port 6666 is reserved')
            : undefined,
      });
      server.setSnapshot(
        'web-1',
        build(snapshot('1', clusters, [loadAssignment('a', 1001), loadAssignment('b', 1002)])),
      );
      client.start();
      client.watch('eds', ['a', 'b']);
      await waitFor(server, 'ack', (e) => e.typeUrl === EDS && e.version === '1');
      const pushes = record<PushEvent>(server, 'push');
      const set = (version: string, aPort: number, bPort: number) =>
        server.setSnapshot(
          'web-1',
          build(snapshot(version, clusters, [loadAssignment('a', aPort), loadAssignment('b', bPort)])),
        );
      let nack = waitFor(server, 'nack', (e) => e.typeUrl === EDS && e.version === '2');
      set('2', 1001, 6666);
      await nack;
      set('2', 1001, 6666); // same content again: nothing to send
      await sleep(100);
      nack = waitFor(server, 'nack', (e) => e.typeUrl === EDS && e.version === '3');
      set('3', 3001, 6666); // another change: the rejected assignment goes with it
      await nack;
      const acked = waitFor(server, 'ack', (e) => e.typeUrl === EDS && e.version === '4');
      set('4', 3001, 4002); // the client kept a@1001 when it rejected v3, so both go again
      await acked;
      assert.deepEqual(
        pushes.filter((p) => p.typeUrl === EDS).map((p) => [p.version, [...p.resourceNames].sort()]),
        [
          ['2', ['b']],
          ['3', ['a', 'b']],
          ['4', ['a', 'b']],
        ],
      );
      assert.match(JSON.stringify(client.resources('eds').get('a')), /3001/);
      assert.match(JSON.stringify(client.resources('eds').get('b')), /4002/);
    });

    test('an assignment that leaves the snapshot and comes back is sent again', async (t) => {
      const build = builder();
      const { server, port } = await startServer(t);
      const both = [loadAssignment('a', 1001), loadAssignment('b', 1002)];
      server.setSnapshot('web-1', build(snapshot('1', clusters, both)));
      const client = startClient(t, port);
      client.start();
      client.watch('eds', ['a', 'b']);
      await waitFor(server, 'ack', (e) => e.typeUrl === EDS && e.version === '1');
      server.setSnapshot('web-1', build(snapshot('2', clusters, [loadAssignment('a', 1001)])));
      await sleep(50);
      const pushes = record<PushEvent>(server, 'push');
      const acked = waitFor(server, 'ack', (e) => e.typeUrl === EDS && e.version === '3');
      server.setSnapshot('web-1', build(snapshot('3', clusters, both)));
      await acked;
      assert.deepEqual(
        pushes.filter((p) => p.typeUrl === EDS).map((p) => p.resourceNames),
        [['b']],
      );
    });
  });
}
