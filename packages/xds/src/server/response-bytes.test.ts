import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { encodeDeltaDiscoveryResponse, encodeDiscoveryResponse } from '../protocol/messages.js';
import { edsCluster, loadAssignment, snapshot } from '../test-support.js';
import { TYPE_URLS } from '../type-urls.js';
import { contentKey, deltaResponse, responseBody, sotwResponse, wholeSet } from './response-bytes.js';
import { XdsSnapshot } from './snapshot.js';

const prepared = XdsSnapshot.from(
  snapshot('7', [edsCluster('a'), edsCluster('b')], [loadAssignment('a', 1001), loadAssignment('b', 1002)]),
);
const eds = prepared.types.get(TYPE_URLS.CLUSTER_LOAD_ASSIGNMENT)!;
const cds = prepared.types.get(TYPE_URLS.CLUSTER)!;

describe('shared response bytes', () => {
  test('a SotW response from a shared body is byte-identical to a whole encoding', () => {
    const resources = [...eds.resources.values()];
    const body = responseBody(eds, contentKey(resources), resources, false);
    const anys = resources.map((r) => r.encodedAny);
    assert.deepEqual(
      sotwResponse(body, 'n-1', 'meshd-0'),
      encodeDiscoveryResponse('7', anys, eds.typeUrl, 'n-1', 'meshd-0'),
    );
    assert.deepEqual(sotwResponse(body, 'n-2', ''), encodeDiscoveryResponse('7', anys, eds.typeUrl, 'n-2'));
  });

  test('a delta response from a shared body is byte-identical to a whole encoding', () => {
    const resources = [eds.resources.get('b')!];
    const body = responseBody(eds, 'b-only', resources, true);
    assert.deepEqual(
      deltaResponse(body, 'n-3', ['gone', 'also-gone'], 'meshd-0'),
      encodeDeltaDiscoveryResponse(
        '7',
        [resources[0].encodedDeltaResource],
        eds.typeUrl,
        ['gone', 'also-gone'],
        'n-3',
        'meshd-0',
      ),
    );
  });

  test('streams served the same content share one body; another content gets its own', () => {
    const resources = [...cds.resources.values()];
    const key = contentKey(resources);
    const first = responseBody(cds, key, resources, false);
    assert.equal(responseBody(cds, key, resources, false), first);
    assert.notEqual(responseBody(cds, contentKey(resources.slice(1)), resources.slice(1), false), first);
  });

  test('the whole set of a type snapshot is computed once and keyed by name and version', () => {
    const whole = wholeSet(cds);
    assert.equal(wholeSet(cds), whole);
    assert.deepEqual(whole.names, ['a', 'b']);
    assert.equal(whole.key, contentKey([...cds.resources.values()]));
    assert.match(whole.key, /^a\u0000[\w-]{16}\u0001b\u0000[\w-]{16}\u0001$/);
  });
});
