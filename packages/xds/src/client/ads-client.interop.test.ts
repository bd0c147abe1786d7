import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { encodeAny } from '../codec/any.js';
import { xdsProtoIncludeDirs } from '../protos.js';
import { edsCluster } from '../test-support.js';
import { TYPE_URLS } from '../type-urls.js';
import { AdsClient } from './ads-client.js';
import { reject } from './update.js';

// An ADS server written against @grpc/proto-loader's view of the protos, sharing no code with
// this package's server: it checks the client's requests on the wire.
function rawAdsServer(handlers: {
  sotw?: (call: grpc.ServerDuplexStream<any, any>) => void;
  delta?: (call: grpc.ServerDuplexStream<any, any>) => void;
}): grpc.Server {
  const definition = protoLoader.loadSync('envoy/service/discovery/v3/ads.proto', {
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
    includeDirs: xdsProtoIncludeDirs(),
  });
  const pkg = grpc.loadPackageDefinition(definition) as any;
  const server = new grpc.Server();
  server.addService(pkg.envoy.service.discovery.v3.AggregatedDiscoveryService.service, {
    StreamAggregatedResources: handlers.sotw ?? ((call: any) => call.end()),
    DeltaAggregatedResources: handlers.delta ?? ((call: any) => call.end()),
  });
  return server;
}

function requests(call: grpc.ServerDuplexStream<any, any>): () => Promise<any> {
  const queue: any[] = [];
  const waiting: Array<(v: any) => void> = [];
  call.on('data', (m) => (waiting.length ? waiting.shift()!(m) : queue.push(m)));
  return () =>
    queue.length ? Promise.resolve(queue.shift()) : new Promise((resolve) => waiting.push(resolve));
}

function bind(server: grpc.Server): Promise<number> {
  return new Promise((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) =>
      e ? reject(e) : resolve(p),
    ),
  );
}

describe('AdsClient against an independent ADS server', () => {
  let sotwCall: Promise<grpc.ServerDuplexStream<any, any>>;
  let deltaCall: Promise<grpc.ServerDuplexStream<any, any>>;
  let server: grpc.Server;
  let port: number;
  const clients: AdsClient[] = [];

  before(async () => {
    let onSotw!: (c: grpc.ServerDuplexStream<any, any>) => void;
    let onDelta!: (c: grpc.ServerDuplexStream<any, any>) => void;
    sotwCall = new Promise((resolve) => (onSotw = resolve));
    deltaCall = new Promise((resolve) => (onDelta = resolve));
    server = rawAdsServer({ sotw: (c) => onSotw(c), delta: (c) => onDelta(c) });
    port = await bind(server);
  });
  after(() => {
    for (const c of clients) c.close();
    server.forceShutdown();
  });

  test('state of the world: node identity, wildcard CDS, ACK and NACK with error_detail', async () => {
    const client = new AdsClient({
      address: `127.0.0.1:${port}`,
      node: { id: 'web-1', cluster: 'web', metadata: { zone: 'a' } },
      wildcardTypes: ['cds'],
      onUpdate: (u) => (u.resources.has('bad') ? reject('cluster "bad" is not supported') : undefined),
    });
    clients.push(client);
    client.start();
    const call = await sotwCall;
    const next = requests(call);
    const first = await next();
    assert.equal(first.node.id, 'web-1');
    assert.equal(first.node.cluster, 'web');
    assert.equal(first.node.user_agent_name, 'meshwork');
    assert.deepEqual(first.node.client_features, ['xds.config.resource-in-sotw']);
    // proto-loader's bundled google.protobuf.Value spells its fields in camelCase.
    assert.deepEqual(first.node.metadata.fields.zone, { stringValue: 'a', kind: 'stringValue' });
    assert.deepEqual(
      [first.type_url, first.version_info, first.response_nonce, first.resource_names],
      [TYPE_URLS.CLUSTER, '', '', []],
    );

    call.write({
      version_info: 'v1',
      type_url: TYPE_URLS.CLUSTER,
      nonce: 'n1',
      resources: [encodeAny('cds', edsCluster('a'))],
    });
    const ack = await next();
    assert.equal(ack.node, null); // the node goes in the first request only
    assert.deepEqual([ack.version_info, ack.response_nonce, ack.error_detail], ['v1', 'n1', null]);

    call.write({
      version_info: 'v2',
      type_url: TYPE_URLS.CLUSTER,
      nonce: 'n2',
      resources: [encodeAny('cds', edsCluster('a')), encodeAny('cds', edsCluster('bad'))],
    });
    const nack = await next();
    assert.deepEqual([nack.version_info, nack.response_nonce], ['v1', 'n2']);
    assert.equal(nack.error_detail.code, grpc.status.INVALID_ARGUMENT);
    assert.equal(nack.error_detail.message, 'cluster "bad" is not supported');
    assert.deepEqual([...client.resources('cds').keys()], ['a']);
  });

  test('delta: wildcard subscription, ACK by nonce, watched names as subscribe/unsubscribe', async () => {
    const client = new AdsClient({
      address: `127.0.0.1:${port}`,
      node: { id: 'web-2' },
      delta: true,
      wildcardTypes: ['cds'],
    });
    clients.push(client);
    client.start();
    const call = await deltaCall;
    const next = requests(call);
    const first = await next();
    assert.equal(first.node.id, 'web-2');
    assert.deepEqual(
      [first.type_url, first.resource_names_subscribe, first.initial_resource_versions],
      [TYPE_URLS.CLUSTER, [], {}],
    );
    call.write({
      system_version_info: 's1',
      type_url: TYPE_URLS.CLUSTER,
      nonce: 'd1',
      resources: [{ name: 'a', version: 'h1', resource: encodeAny('cds', edsCluster('a')) }],
    });
    const ack = await next();
    assert.deepEqual([ack.response_nonce, ack.error_detail], ['d1', null]);
    await client.whenSynced(['cds']);

    client.watch('eds', ['a', 'b']);
    const subscribe = await next();
    assert.deepEqual(
      [subscribe.type_url, subscribe.resource_names_subscribe],
      [TYPE_URLS.CLUSTER_LOAD_ASSIGNMENT, ['a', 'b']],
    );
    client.watch('eds', ['b', 'c']);
    const change = await next();
    assert.deepEqual([change.resource_names_subscribe, change.resource_names_unsubscribe], [['c'], ['a']]);
  });
});
