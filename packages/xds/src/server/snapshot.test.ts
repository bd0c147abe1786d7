import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeAny } from '../codec/any.js';
import { edsCluster, loadAssignment } from '../test-support.js';
import { TYPE_URLS } from '../type-urls.js';
import { XdsSnapshot } from './snapshot.js';

test('resources are keyed by type URL and name, from arrays, records, Maps or pre-encoded Anys', () => {
  const snapshot = XdsSnapshot.from({
    cds: { version: '1', resources: [edsCluster('a')] },
    [TYPE_URLS.CLUSTER_LOAD_ASSIGNMENT]: { version: '2', resources: { a: loadAssignment('a', 1) } },
    lds: { version: '3', resources: new Map() },
    rds: { version: '4', resources: { r: encodeAny('rds', { name: 'r' }) } },
  });
  assert.equal(snapshot.version('cds'), '1');
  assert.equal(snapshot.version(TYPE_URLS.CLUSTER_LOAD_ASSIGNMENT), '2');
  assert.deepEqual([...snapshot.types.get(TYPE_URLS.CLUSTER)!.resources.keys()], ['a']);
  assert.equal(snapshot.types.get(TYPE_URLS.LISTENER)!.resources.size, 0);
  assert.ok(snapshot.types.get(TYPE_URLS.ROUTE_CONFIGURATION)!.resources.get('r')!.encodedAny.length > 0);
  assert.equal(snapshot.version('sds'), undefined);
});

test('a resource keeps its version while its content is the same, and only then', () => {
  const one = XdsSnapshot.from({ cds: { version: '1', resources: [edsCluster('a'), edsCluster('b')] } });
  const two = XdsSnapshot.from({
    cds: { version: '2', resources: [edsCluster('a'), edsCluster('b', { connect_timeout: '9s' })] },
  });
  const v = (s: XdsSnapshot, n: string) => s.types.get(TYPE_URLS.CLUSTER)!.resources.get(n)!.version;
  assert.equal(v(one, 'a'), v(two, 'a'));
  assert.notEqual(v(one, 'b'), v(two, 'b'));
});

test('the same resource object is encoded once across snapshots', () => {
  const cluster = edsCluster('a');
  const one = XdsSnapshot.from({ cds: { version: '1', resources: [cluster] } });
  const two = XdsSnapshot.from({ cds: { version: '2', resources: [cluster] } });
  const get = (s: XdsSnapshot) => s.types.get(TYPE_URLS.CLUSTER)!.resources.get('a')!;
  assert.equal(get(one), get(two));
  assert.equal(XdsSnapshot.from(one), one);
});

test('equal resources built as new objects (one per node) are encoded once', () => {
  const forNode = () =>
    XdsSnapshot.from({ cds: { version: '1', resources: [edsCluster('shared', { connect_timeout: '7s' })] } });
  const get = (s: XdsSnapshot) => s.types.get(TYPE_URLS.CLUSTER)!.resources.get('shared')!;
  assert.equal(get(forNode()), get(forNode()));
});

test('the content cache tells NaN from an absent value', () => {
  const weighted = (value: unknown) => ({
    name: 'a',
    outlier_detection: { consecutive_5xx: 1 },
    metadata: { filter_metadata: { x: { v: 1 } } },
    common_lb_config: { healthy_panic_threshold: { value } },
  });
  const bytes = (value: unknown) =>
    XdsSnapshot.from({ cds: { version: '1', resources: [weighted(value)] } })
      .types.get(TYPE_URLS.CLUSTER)!
      .resources.get('a')!.version;
  assert.notEqual(bytes(null), bytes(Number.NaN));
});

test('bad snapshots fail with a code and the place of the problem', () => {
  assert.throws(() => XdsSnapshot.from({ cds: { version: '1', resources: { b: edsCluster('a') } } }), {
    code: 'MESH_ERR_XDS_SNAPSHOT',
    message: 'envoy.config.cluster.v3.Cluster["b"]: resource is named "a" but listed as "b"',
  });
  assert.throws(
    () => XdsSnapshot.from({ cds: { version: '1', resources: [edsCluster('a'), edsCluster('a')] } }),
    {
      code: 'MESH_ERR_XDS_SNAPSHOT',
      message: 'cds: duplicate resource "a"',
    },
  );
  assert.throws(() => XdsSnapshot.from({ cds: { version: '1', resources: [{ connect_timeout: '1s' }] } }), {
    code: 'MESH_ERR_XDS_SNAPSHOT',
    message: 'envoy.config.cluster.v3.Cluster[0]: resource has no name',
  });
  assert.throws(
    () => XdsSnapshot.from({ cds: { version: '1', resources: [edsCluster('a', { connect_timeout: '1' })] } }),
    {
      code: 'MESH_ERR_XDS_INVALID',
      message: 'envoy.config.cluster.v3.Cluster["a"].connect_timeout: invalid duration "1"',
    },
  );
  assert.throws(
    () =>
      XdsSnapshot.from({ cds: { version: '1', resources: { a: encodeAny('eds', loadAssignment('a', 1)) } } }),
    {
      code: 'MESH_ERR_XDS_SNAPSHOT',
    },
  );
  assert.throws(() => XdsSnapshot.from({ cds: { version: 1 as unknown as string, resources: [] } }), {
    code: 'MESH_ERR_XDS_SNAPSHOT',
    message: 'cds: version must be a string',
  });
});

test('a snapshot built on a previous one keeps the type snapshots whose version and content are unchanged', () => {
  const cds = [edsCluster('a'), edsCluster('b')];
  const previous = XdsSnapshot.from({
    cds: { version: '1', resources: cds },
    eds: { version: '1', resources: [loadAssignment('a', 1)] },
    rds: { version: '1', resources: [{ name: 'r', virtual_hosts: [] }] },
  });
  const next = XdsSnapshot.from(
    {
      // Equal content in new objects, same version: reused.
      cds: { version: '1', resources: [edsCluster('a'), edsCluster('b')] },
      // Changed content: a new type snapshot.
      eds: { version: '2', resources: [loadAssignment('a', 2)] },
      // Same content under a new version: a new type snapshot (clients must see the version).
      rds: { version: '2', resources: [{ name: 'r', virtual_hosts: [] }] },
    },
    previous,
  );
  assert.equal(next.types.get(TYPE_URLS.CLUSTER), previous.types.get(TYPE_URLS.CLUSTER));
  assert.notEqual(
    next.types.get(TYPE_URLS.CLUSTER_LOAD_ASSIGNMENT),
    previous.types.get(TYPE_URLS.CLUSTER_LOAD_ASSIGNMENT),
  );
  assert.notEqual(
    next.types.get(TYPE_URLS.ROUTE_CONFIGURATION),
    previous.types.get(TYPE_URLS.ROUTE_CONFIGURATION),
  );
  assert.equal(next.version('rds'), '2');
  const fewer = XdsSnapshot.from({ cds: { version: '1', resources: [edsCluster('a')] } }, previous);
  assert.notEqual(fewer.types.get(TYPE_URLS.CLUSTER), previous.types.get(TYPE_URLS.CLUSTER));
  assert.deepEqual([...fewer.types.get(TYPE_URLS.CLUSTER)!.resources.keys()], ['a']);
});
