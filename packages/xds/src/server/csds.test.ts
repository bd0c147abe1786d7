import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { reject } from '../client/update.js';
import { decodeAny } from '../codec/any.js';
import { xdsProtoIncludeDirs } from '../protos.js';
import { edsCluster, startClient, waitFor } from '../test-support.js';
import { TYPE_URLS } from '../type-urls.js';
import { AdsServer } from './ads-server.js';

// CSDS read by a plain proto-loader client, as grpcdebug-like tools would.
const server = new AdsServer();
let csds: any;
let port: number;

before(async () => {
  port = await server.listen('127.0.0.1:0');
  const definition = protoLoader.loadSync('envoy/service/status/v3/csds.proto', {
    keepCase: true,
    longs: String,
    enums: String,
    defaults: false,
    oneofs: true,
    includeDirs: xdsProtoIncludeDirs(),
  });
  const pkg = grpc.loadPackageDefinition(definition) as any;
  csds = new pkg.envoy.service.status.v3.ClientStatusDiscoveryService(
    `127.0.0.1:${port}`,
    grpc.credentials.createInsecure(),
  );
});
after(async () => {
  csds?.close();
  await server.close();
});

function fetchStatus(request: object): Promise<any> {
  return new Promise((resolve, rejectCall) =>
    csds.FetchClientStatus(request, (err: Error | null, res: any) => (err ? rejectCall(err) : resolve(res))),
  );
}

test('CSDS reports per node and resource what was served and whether it was ACKed or NACKed', async (t) => {
  const cds = { cds: { version: '1', resources: [edsCluster('a')] } };
  server.setSnapshot('ok-1', cds);
  server.setSnapshot('bad-1', cds);
  const ok = startClient(t, port, { node: { id: 'ok-1' }, wildcardTypes: ['cds'] });
  const bad = startClient(t, port, {
    node: { id: 'bad-1' },
    wildcardTypes: ['cds'],
    onUpdate: () => reject('no thanks'),
  });
  const acked = waitFor(server, 'ack', (e) => e.nodeId === 'ok-1');
  const nacked = waitFor(server, 'nack', (e) => e.nodeId === 'bad-1');
  ok.start();
  bad.start();
  await Promise.all([acked, nacked]);

  const all = await fetchStatus({});
  assert.deepEqual(all.config.map((c: any) => c.node.id).sort(), ['bad-1', 'ok-1']);

  const [okConfig] = (await fetchStatus({ node_matchers: [{ node_id: { exact: 'ok-1' } }] })).config;
  const [entry] = okConfig.generic_xds_configs;
  assert.deepEqual(
    [entry.type_url, entry.name, entry.version_info, entry.client_status, entry.config_status],
    [TYPE_URLS.CLUSTER, 'a', '1', 'ACKED', 'SYNCED'],
  );
  assert.deepEqual(decodeAny(entry.xds_config), edsCluster('a'));

  const [badConfig] = (
    await fetchStatus({ node_matchers: [{ node_id: { prefix: 'bad' } }], exclude_resource_contents: true })
  ).config;
  const [rejected] = badConfig.generic_xds_configs;
  assert.equal(rejected.client_status, 'NACKED');
  assert.equal(rejected.config_status, 'ERROR');
  assert.deepEqual([rejected.error_state.details, rejected.error_state.version_info], ['no thanks', '1']);
  assert.equal(rejected.xds_config, undefined);
});
