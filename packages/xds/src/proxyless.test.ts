import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { grpcXdsBootstrap, proxylessGrpcSnapshot } from './proxyless.js';
import { AdsServer } from './server/ads-server.js';
import { waitFor } from './test-support.js';
import { TYPE_URLS } from './type-urls.js';

// The test runner gives each test file its own process, so the bootstrap environment and the
// global xds:// resolver registered here stay inside this file.
const ECHO = '/meshwork.test.Echo/Say';
const passthrough = (b: Buffer) => b;

let backend: grpc.Server;
let backendPort: number;
const ads = new AdsServer();

before(async () => {
  backend = new grpc.Server();
  backend.addService(
    {
      Say: {
        path: ECHO,
        requestStream: false,
        responseStream: false,
        requestSerialize: passthrough,
        requestDeserialize: passthrough,
        responseSerialize: passthrough,
        responseDeserialize: passthrough,
      },
    },
    { Say: (call: any, callback: any) => callback(null, Buffer.from(`echo:${call.request.toString()}`)) },
  );
  backendPort = await new Promise<number>((resolve, reject) =>
    backend.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) =>
      e ? reject(e) : resolve(p),
    ),
  );
});

after(async () => {
  backend.forceShutdown();
  await ads.close();
});

test('@grpc/grpc-js-xds resolves xds:///echo through the AdsServer and calls the backend', async () => {
  const adsPort = await ads.listen('127.0.0.1:0');
  ads.setSnapshot(
    'proxyless-1',
    proxylessGrpcSnapshot('1', [
      { name: 'echo', endpoints: [{ address: '127.0.0.1', port: backendPort }], timeout: '5s' },
    ]),
  );
  process.env.GRPC_XDS_BOOTSTRAP_CONFIG = JSON.stringify(
    grpcXdsBootstrap({ serverUri: `127.0.0.1:${adsPort}`, nodeId: 'proxyless-1', cluster: 'tests' }),
  );
  const acked = Promise.all(
    [TYPE_URLS.LISTENER, TYPE_URLS.CLUSTER, TYPE_URLS.CLUSTER_LOAD_ASSIGNMENT].map((typeUrl) =>
      waitFor(ads, 'ack', (e) => e.typeUrl === typeUrl && e.version === '1', 10_000),
    ),
  );
  const nacks: unknown[] = [];
  ads.on('nack', (e) => nacks.push(e));
  const xds = await import('@grpc/grpc-js-xds');
  xds.register();
  const client = new grpc.Client('xds:///echo', grpc.credentials.createInsecure());
  try {
    const reply = await new Promise<Buffer>((resolve, reject) =>
      client.makeUnaryRequest(ECHO, passthrough, passthrough, Buffer.from('hello'), (err, value) =>
        err ? reject(err) : resolve(value!),
      ),
    );
    assert.equal(reply.toString(), 'echo:hello');
    await acked;
    assert.deepEqual(nacks, []);
    const [stream] = ads.streams('proxyless-1');
    const eds = stream.types.find((s) => s.typeUrl === TYPE_URLS.CLUSTER_LOAD_ASSIGNMENT);
    assert.deepEqual(eds?.resourceNames, ['echo']);
  } finally {
    client.close();
  }
});
