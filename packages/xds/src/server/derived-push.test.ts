import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AdsClient } from '../client/ads-client.js';
import { reject } from '../client/update.js';
import {
  BACKOFF,
  edsCluster,
  loadAssignment,
  record,
  snapshot,
  snapshotChain,
  startClient,
  startServer,
  waitFor,
} from '../test-support.js';
import { TYPE_URLS } from '../type-urls.js';
import type { PushEvent } from './events.js';
import { changedSince, XdsSnapshot } from './snapshot.js';

const { CLUSTER_LOAD_ASSIGNMENT: EDS } = TYPE_URLS;
const clusters = [edsCluster('a'), edsCluster('b'), edsCluster('c')];

const assignments = (a: number, b: number, c?: number) => [
  loadAssignment('a', a),
  loadAssignment('b', b),
  ...(c === undefined ? [] : [loadAssignment('c', c)]),
];

describe('snapshots built from the previous one', () => {
  test('name what was added, changed or removed, for a stream caught up with that previous one', () => {
    const next = snapshotChain();
    const one = next(snapshot('1', clusters, assignments(1001, 1002, 1003)));
    const two = next(snapshot('2', clusters, assignments(1001, 2002)));
    const eds1 = one.types.get(EDS)!;
    const eds2 = two.types.get(EDS)!;
    assert.deepEqual([...changedSince(eds2, eds1)!].sort(), ['b', 'c']);
    // An unrelated or missing base gives no shortcut.
    assert.equal(changedSince(eds2, undefined), undefined);
    const unrelated = XdsSnapshot.from(snapshot('1', clusters, assignments(1001, 1002, 1003)));
    assert.equal(changedSince(eds2, unrelated.types.get(EDS)!), undefined);
  });

  // SotW streams over snapshots built this way: sotw-partial.test.ts runs its cases both ways.

  test('delta: only the changed and removed names travel; a rejected delta goes with the next change', async (t) => {
    const { server, port } = await startServer(t);
    const client = startClient(t, port, {
      delta: true,
      onUpdate: (u) =>
        u.typeUrl === EDS && JSON.stringify([...u.resources.values()]).includes('6666')
          ? reject('port 6666 is reserved')
          : undefined,
    });
    const next = snapshotChain();
    server.setSnapshot('web-1', next(snapshot('1', clusters, assignments(1001, 1002, 1003))));
    client.start();
    client.watch('eds', ['a', 'b', 'c']);
    await waitFor(server, 'ack', (e) => e.typeUrl === EDS && e.version === '1' && e.delta);
    const pushes = record<PushEvent>(server, 'push');
    let acked = waitFor(server, 'ack', (e) => e.typeUrl === EDS && e.version === '2');
    server.setSnapshot('web-1', next(snapshot('2', clusters, assignments(1001, 2002))));
    await acked;
    const nack = waitFor(server, 'nack', (e) => e.typeUrl === EDS && e.version === '3');
    server.setSnapshot('web-1', next(snapshot('3', clusters, assignments(1001, 6666))));
    await nack;
    acked = waitFor(server, 'ack', (e) => e.typeUrl === EDS && e.version === '4');
    server.setSnapshot('web-1', next(snapshot('4', clusters, assignments(4001, 4002))));
    await acked;
    assert.deepEqual(
      pushes
        .filter((p) => p.typeUrl === EDS)
        .map((p) => [p.version, [...p.resourceNames].sort(), p.removedNames]),
      [
        ['2', ['b'], ['c']],
        ['3', ['b'], []],
        ['4', ['a', 'b'], []],
      ],
    );
    const held = client.resources('eds');
    assert.deepEqual([...held.keys()].sort(), ['a', 'b']);
    assert.match(JSON.stringify(held.get('a')), /4001/);
    assert.match(JSON.stringify(held.get('b')), /4002/);
  });
});

describe('responses shared between streams', () => {
  test('streams sent the same content get one nonce; a stream sent the same bytes again gets its own', async (t) => {
    const { server, port } = await startServer(t);
    const shared = XdsSnapshot.from(snapshot('1', clusters, assignments(1001, 1002)));
    server.setSnapshot('web-1', shared);
    server.setSnapshot('web-2', shared);
    const pushes = record<PushEvent>(server, 'push');
    const one = startClient(t, port);
    const two = new AdsClient({
      address: `127.0.0.1:${port}`,
      node: { id: 'web-2', cluster: 'web' },
      backoff: BACKOFF,
    });
    t.after(() => two.close());
    for (const client of [one, two]) {
      client.start();
      client.watch('eds', ['a', 'b']);
    }
    await waitFor(server, 'ack', (e) => e.typeUrl === EDS && e.nodeId === 'web-1');
    await waitFor(server, 'ack', (e) => e.typeUrl === EDS && e.nodeId === 'web-2');
    const edsPushes = () => pushes.filter((p) => p.typeUrl === EDS && p.resourceNames.length === 2);
    const byNode = (id: string) => edsPushes().filter((p) => p.nodeId === id);
    assert.equal(byNode('web-1')[0].nonce, byNode('web-2')[0].nonce);
    // Narrow, then widen again: the second {a, b} response has the same bytes as the first,
    // so it needs a nonce the stream has not used.
    const first = byNode('web-1')[0].nonce;
    /** Changes web-1's subscription; resolves the push answering it once it is ACKed. */
    const resubscribe = async (names: string[]) => {
      const pushed = waitFor<PushEvent>(
        server,
        'push',
        (e) => e.nodeId === 'web-1' && e.typeUrl === EDS && e.resourceNames.length === names.length,
      );
      one.watch('eds', names);
      const push = await pushed;
      await waitFor(server, 'ack', (e) => e.nodeId === 'web-1' && e.nonce === push.nonce);
      return push;
    };
    await resubscribe(['a']);
    const again = await resubscribe(['a', 'b']);
    assert.notEqual(again.nonce, first);
    assert.deepEqual([...one.resources('eds').keys()].sort(), ['a', 'b']);
  });
});
