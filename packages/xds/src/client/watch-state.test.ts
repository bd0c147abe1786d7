import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeAny, encodeMessage } from '../codec/any.js';
import { edsCluster, loadAssignment } from '../test-support.js';
import { TYPE_URLS } from '../type-urls.js';
import { commit, deltaCandidate, newWatch, sotwCandidate } from './watch-state.js';

const sotw = (typeUrl: string, version: string, resources: object[], alias: string) => ({
  version_info: version,
  type_url: typeUrl,
  nonce: `n${version}`,
  resources: resources.map((r) => encodeAny(alias, r)),
});

test('a CDS response is the complete set: a cluster left out is removed', () => {
  const watch = newWatch(TYPE_URLS.CLUSTER, true, []);
  commit(
    watch,
    sotwCandidate(watch, sotw(TYPE_URLS.CLUSTER, '1', [edsCluster('a'), edsCluster('b')], 'cds')),
  );
  const next = sotwCandidate(watch, sotw(TYPE_URLS.CLUSTER, '2', [edsCluster('a')], 'cds'));
  assert.deepEqual(next.update.removed, ['b']);
  assert.deepEqual(next.update.updated, []);
  assert.deepEqual([...next.update.resources.keys()], ['a']);
});

test('an EDS response leaves watched assignments it does not mention in place', () => {
  const watch = newWatch(TYPE_URLS.CLUSTER_LOAD_ASSIGNMENT, false, ['a', 'b']);
  const both = [loadAssignment('a', 1), loadAssignment('b', 2)];
  commit(watch, sotwCandidate(watch, sotw(TYPE_URLS.CLUSTER_LOAD_ASSIGNMENT, '1', both, 'eds')));
  const next = sotwCandidate(
    watch,
    sotw(TYPE_URLS.CLUSTER_LOAD_ASSIGNMENT, '2', [loadAssignment('a', 9)], 'eds'),
  );
  assert.deepEqual(next.update.updated, ['a']);
  assert.deepEqual(next.update.removed, []);
  assert.deepEqual([...next.update.resources.keys()].sort(), ['a', 'b']);
});

test('a resource of another type in the response is an error naming its index', () => {
  const watch = newWatch(TYPE_URLS.CLUSTER, true, []);
  const response = { ...sotw(TYPE_URLS.CLUSTER, '1', [edsCluster('a')], 'cds') };
  response.resources.push(encodeAny('eds', loadAssignment('x', 1)));
  assert.throws(() => sotwCandidate(watch, response), {
    code: 'MESH_ERR_XDS_INVALID',
    message: `resources[1]: resource of type ${TYPE_URLS.CLUSTER_LOAD_ASSIGNMENT} in a ${TYPE_URLS.CLUSTER} response`,
  });
});

test('a delta heartbeat (a Resource without a body) keeps the held copy', () => {
  const watch = newWatch(TYPE_URLS.CLUSTER, true, []);
  const first = {
    system_version_info: '1',
    type_url: TYPE_URLS.CLUSTER,
    nonce: 'n1',
    removed_resources: [],
    resources: [{ name: 'a', version: 'h1', resource: encodeAny('cds', edsCluster('a')) }],
  };
  commit(watch, deltaCandidate(watch, first));
  const beat = deltaCandidate(watch, { ...first, nonce: 'n2', resources: [{ name: 'a', version: 'h1' }] });
  assert.deepEqual(beat.update.updated, []);
  assert.deepEqual(beat.update.resources.get('a'), edsCluster('a'));
});

test('an extension of a type this process does not know reaches the consumer packed, not as an error', () => {
  const watch = newWatch(TYPE_URLS.CLUSTER, true, []);
  const opaque = { '@type': 'type.googleapis.com/acme.v1.Options', '@value': 'CAE=' };
  const cluster = edsCluster('a', { typed_extension_protocol_options: { 'acme.options': opaque } });
  const next = sotwCandidate(watch, sotw(TYPE_URLS.CLUSTER, '1', [cluster], 'cds'));
  assert.deepEqual(next.update.resources.get('a'), cluster);
});

test('SotW resources wrapped in envoy.service.discovery.v3.Resource are unwrapped; a bodiless one is a heartbeat', () => {
  const wrap = (name: string, body?: object) => ({
    type_url: 'type.googleapis.com/envoy.service.discovery.v3.Resource',
    value: encodeMessage('envoy.service.discovery.v3.Resource', {
      name,
      ...(body ? { resource: { '@type': TYPE_URLS.CLUSTER, ...body } } : {}),
      ttl: '30s',
    }),
  });
  const watch = newWatch(TYPE_URLS.CLUSTER, true, []);
  const response = (nonce: string, resources: ReturnType<typeof wrap>[]) => ({
    version_info: nonce,
    type_url: TYPE_URLS.CLUSTER,
    nonce,
    resources,
  });
  commit(watch, sotwCandidate(watch, response('1', [wrap('a', edsCluster('a'))])));
  assert.deepEqual(watch.resources.get('a'), edsCluster('a'));
  const beat = sotwCandidate(watch, response('2', [wrap('a')]));
  assert.deepEqual(beat.update.removed, []);
  assert.deepEqual(beat.update.resources.get('a'), edsCluster('a'));
});
