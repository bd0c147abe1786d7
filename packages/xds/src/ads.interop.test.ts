import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { decodeAny } from './codec/any.js';
import { xdsProtoIncludeDirs } from './protos.js';
import { AdsServer } from './server/ads-server.js';
import { edsCluster, loadAssignment, record, sleep, waitFor } from './test-support.js';
import { TYPE_URLS } from './type-urls.js';

// A plain @grpc/grpc-js client built from the ADS proto by @grpc/proto-loader: it shares no code
// with this package's client, so it checks the wire format on its own terms.
function rawAdsClient(port: number): any {
  const definition = protoLoader.loadSync('envoy/service/discovery/v3/ads.proto', {
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
    includeDirs: xdsProtoIncludeDirs(),
  });
  const pkg = grpc.loadPackageDefinition(definition) as any;
  const Service = pkg.envoy.service.discovery.v3.AggregatedDiscoveryService;
  return new Service(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
}

/** Reads a bidi stream's messages one by one. */
function reader(call: grpc.ClientDuplexStream<any, any>): () => Promise<any> {
  const queue: any[] = [];
  const waiting: Array<(v: any) => void> = [];
  call.on('data', (m) => (waiting.length ? waiting.shift()!(m) : queue.push(m)));
  call.on('error', () => {});
  return () =>
    queue.length ? Promise.resolve(queue.shift()) : new Promise((resolve) => waiting.push(resolve));
}

describe('ADS interop with a raw @grpc/grpc-js client', () => {
  const server = new AdsServer({ controlPlaneId: 'meshd-test' });
  let client: any;
  const calls: grpc.ClientDuplexStream<any, any>[] = [];
  before(async () => {
    const port = await server.listen('127.0.0.1:0');
    client = rawAdsClient(port);
  });
  after(async () => {
    for (const call of calls) call.cancel();
    client?.close();
    await server.close();
  });

  test('state of the world: response fields, ACK, NACK and stale nonces', async () => {
    server.setSnapshot('raw-1', {
      cds: { version: 'v1', resources: [edsCluster('inventory')] },
    });
    const call = client.StreamAggregatedResources();
    calls.push(call);
    const next = reader(call);
    call.write({ node: { id: 'raw-1', cluster: 'raw' }, type_url: TYPE_URLS.CLUSTER, resource_names: [] });
    const first = await next();
    assert.equal(first.version_info, 'v1');
    assert.equal(first.type_url, TYPE_URLS.CLUSTER);
    assert.ok(first.nonce.length > 0);
    assert.equal(first.control_plane.identifier, 'meshd-test');
    assert.equal(first.resources.length, 1);
    assert.equal(first.resources[0].type_url, TYPE_URLS.CLUSTER);
    assert.deepEqual(decodeAny(first.resources[0]), edsCluster('inventory'));

    const ack = waitFor(server, 'ack', (e) => e.nodeId === 'raw-1');
    call.write({
      type_url: TYPE_URLS.CLUSTER,
      version_info: 'v1',
      response_nonce: first.nonce,
      resource_names: [],
    });
    assert.equal((await ack).version, 'v1');

    server.setSnapshot('raw-1', {
      cds: { version: 'v2', resources: [edsCluster('inventory'), edsCluster('cart')] },
    });
    const second = await next();
    assert.equal(second.version_info, 'v2');
    assert.equal(second.resources.length, 2);

    // An ACK carrying the superseded nonce is stale: ignored, no event, no response.
    const acks = record(server, 'ack');
    call.write({
      type_url: TYPE_URLS.CLUSTER,
      version_info: 'v1',
      response_nonce: first.nonce,
      resource_names: [],
    });
    await sleep(50);
    assert.deepEqual(acks, []);

    // An empty nonce on a known type restates the subscription and acknowledges nothing.
    call.write({ type_url: TYPE_URLS.CLUSTER, version_info: 'v1', response_nonce: '', resource_names: [] });
    await sleep(50);
    assert.deepEqual(acks, []);

    const nack = waitFor(server, 'nack', (e) => e.nodeId === 'raw-1');
    call.write({
      type_url: TYPE_URLS.CLUSTER,
      version_info: 'v1',
      response_nonce: second.nonce,
      resource_names: [],
      error_detail: { code: 3, message: 'cart: unsupported lb_policy' },
    });
    const event = await nack;
    assert.deepEqual(
      [event.version, event.lastGoodVersion, event.nonce, event.errorMessage],
      ['v2', 'v1', second.nonce, 'cart: unsupported lb_policy'],
    );
  });

  test('a stale request gets no response, but the names it carries shape the next one', async () => {
    const eds = (version: string) => ({
      eds: { version, resources: [loadAssignment('a', Number(version)), loadAssignment('b', 2)] },
    });
    server.setSnapshot('raw-3', eds('1'));
    const call = client.StreamAggregatedResources();
    calls.push(call);
    const next = reader(call);
    const type_url = TYPE_URLS.CLUSTER_LOAD_ASSIGNMENT;
    call.write({ node: { id: 'raw-3' }, type_url, resource_names: ['a'] });
    const first = await next();
    server.setSnapshot('raw-3', eds('2'));
    const second = await next(); // pushed before the client answered the first
    assert.equal(second.version_info, '2');
    const pushes = record(server, 'push');
    // The client, still answering `first`, now wants b as well: stale nonce, so no response…
    call.write({ type_url, version_info: '1', response_nonce: first.nonce, resource_names: ['a', 'b'] });
    await sleep(50);
    assert.deepEqual(pushes, []);
    // …but the next response carries both names, without waiting for another request.
    server.setSnapshot('raw-3', {
      eds: { version: '3', resources: [loadAssignment('a', 3), loadAssignment('b', 2)] },
    });
    const third = await next();
    assert.equal(third.version_info, '3');
    assert.deepEqual(third.resources.map((r: any) => decodeAny(r).cluster_name).sort(), ['a', 'b']);
  });

  test('a client that stops reading gets the latest state when it resumes, not every version', async () => {
    const clusters = (i: number) =>
      Array.from({ length: 60 }, (_, n) => edsCluster(`svc-${n}`, { connect_timeout: `${i}s` }));
    server.setSnapshot('slow-1', { cds: { version: 'v0', resources: clusters(1) } });
    const call = client.StreamAggregatedResources();
    calls.push(call);
    const next = reader(call);
    call.write({ node: { id: 'slow-1' }, type_url: TYPE_URLS.CLUSTER });
    assert.equal((await next()).version_info, 'v0');
    call.pause();
    const pushes = record(server, 'push');
    for (let i = 1; i <= 200; i++)
      server.setSnapshot('slow-1', { cds: { version: `v${i}`, resources: clusters(i + 1) } });
    // Only what fits in flow-control windows and the write buffer went out; the rest waits.
    assert.ok(pushes.length < 100, `${pushes.length} responses queued for a client that is not reading`);
    call.resume();
    let latest = '';
    while (latest !== 'v200') latest = (await next()).version_info;
  });

  test('delta: resources carry names and versions, removals are named', async () => {
    server.setSnapshot('raw-2', {
      eds: { version: 'e1', resources: [loadAssignment('a', 1), loadAssignment('b', 2)] },
    });
    const call = client.DeltaAggregatedResources();
    calls.push(call);
    const next = reader(call);
    call.write({
      node: { id: 'raw-2' },
      type_url: TYPE_URLS.CLUSTER_LOAD_ASSIGNMENT,
      resource_names_subscribe: ['a', 'b'],
    });
    const first = await next();
    assert.equal(first.system_version_info, 'e1');
    assert.equal(first.control_plane.identifier, 'meshd-test');
    assert.deepEqual(first.resources.map((r: any) => r.name).sort(), ['a', 'b']);
    assert.ok(first.resources.every((r: any) => r.version.length > 0));
    assert.deepEqual(
      decodeAny(first.resources.find((r: any) => r.name === 'a').resource),
      loadAssignment('a', 1),
    );
    call.write({ type_url: TYPE_URLS.CLUSTER_LOAD_ASSIGNMENT, response_nonce: first.nonce });

    server.setSnapshot('raw-2', { eds: { version: 'e2', resources: [loadAssignment('a', 1)] } });
    const second = await next();
    assert.equal(second.system_version_info, 'e2');
    assert.deepEqual(second.resources, []);
    assert.deepEqual(second.removed_resources, ['b']);
    call.write({ type_url: TYPE_URLS.CLUSTER_LOAD_ASSIGNMENT, response_nonce: second.nonce });

    // Subscribing again to a name the client holds asks for it again.
    call.write({ type_url: TYPE_URLS.CLUSTER_LOAD_ASSIGNMENT, resource_names_subscribe: ['a'] });
    const third = await next();
    assert.deepEqual(
      third.resources.map((r: any) => r.name),
      ['a'],
    );
  });

  test('a first request without node.id ends the stream with INVALID_ARGUMENT', async () => {
    const call = client.StreamAggregatedResources();
    calls.push(call);
    const status = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
    call.on('error', () => {});
    call.write({ type_url: TYPE_URLS.CLUSTER });
    assert.equal((await status).code, grpc.status.INVALID_ARGUMENT);
  });
});
