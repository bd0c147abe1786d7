import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { grpcXdsBootstrap, proxylessGrpcSnapshot } from './proxyless.js';
import { probeProxylessGrpc } from './proxyless-probe.js';
import { AdsServer } from './server/ads-server.js';
import type { NackEvent } from './server/events.js';
import { waitFor } from './test-support.js';
import { TYPE_URLS } from './type-urls.js';

// The test runner gives each test file its own process, so the bootstrap environment and the
// global xds:// resolver registered here stay inside this file.
const ECHO = '/meshwork.test.Echo/Say';
const passthrough = (b: Buffer) => b;

async function echoBackend(name: string): Promise<{ server: grpc.Server; port: number }> {
  const server = new grpc.Server();
  const method = {
    path: ECHO,
    requestStream: false,
    responseStream: false,
    requestSerialize: passthrough,
    requestDeserialize: passthrough,
    responseSerialize: passthrough,
    responseDeserialize: passthrough,
  };
  server.addService(
    { Say: method },
    {
      Say: (call: any, callback: any) => callback(null, Buffer.from(`${name}:${call.request.toString()}`)),
    },
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) =>
      e ? reject(e) : resolve(p),
    ),
  );
  return { server, port };
}

function call(client: grpc.Client, text: string): Promise<string> {
  return new Promise((resolve, reject) =>
    client.makeUnaryRequest(ECHO, passthrough, passthrough, Buffer.from(text), (err, value) =>
      err ? reject(err) : resolve(value!.toString()),
    ),
  );
}

describe('proxyless gRPC (@grpc/grpc-js-xds) against AdsServer', () => {
  const ads = new AdsServer();
  let adsPort: number;
  let a: { server: grpc.Server; port: number };
  let b: { server: grpc.Server; port: number };

  before(async () => {
    [a, b] = await Promise.all([echoBackend('a'), echoBackend('b')]);
    adsPort = await ads.listen('127.0.0.1:0');
  });
  after(async () => {
    a.server.forceShutdown();
    b.server.forceShutdown();
    await ads.close();
  });

  test('resolves xds:///echo, follows an endpoint move, and NACKs an invalid cluster while serving the last good one', async () => {
    const echoAt = (version: string, port: number) =>
      proxylessGrpcSnapshot(version, [
        { name: 'echo', endpoints: [{ address: '127.0.0.1', port }], timeout: '5s' },
      ]);
    ads.setSnapshot('proxyless-1', echoAt('1', a.port));
    process.env.GRPC_XDS_BOOTSTRAP_CONFIG = JSON.stringify(
      grpcXdsBootstrap({ serverUri: `127.0.0.1:${adsPort}`, nodeId: 'proxyless-1', cluster: 'tests' }),
    );
    const acked = Promise.all(
      [TYPE_URLS.LISTENER, TYPE_URLS.CLUSTER, TYPE_URLS.CLUSTER_LOAD_ASSIGNMENT].map((typeUrl) =>
        waitFor(
          ads,
          'ack',
          (e) => e.nodeId === 'proxyless-1' && e.typeUrl === typeUrl && e.version === '1',
          10_000,
        ),
      ),
    );
    const xds = await import('@grpc/grpc-js-xds');
    xds.register();
    const client = new grpc.Client('xds:///echo', grpc.credentials.createInsecure());
    try {
      assert.equal(await call(client, 'hello'), 'a:hello');
      await acked;
      const eds = ads
        .streams('proxyless-1')[0]
        .types.find((s) => s.typeUrl === TYPE_URLS.CLUSTER_LOAD_ASSIGNMENT);
      assert.deepEqual(eds?.resourceNames, ['echo']);

      const moved = waitFor(
        ads,
        'ack',
        (e) => e.typeUrl === TYPE_URLS.CLUSTER_LOAD_ASSIGNMENT && e.version === '2',
      );
      ads.setSnapshot('proxyless-1', echoAt('2', b.port));
      await moved;
      // The channel switches once its new subchannel is ready; allow it a moment on a busy machine.
      let reply = '';
      const deadline = Date.now() + 5_000;
      while (reply !== 'b:again' && Date.now() < deadline) reply = await call(client, 'again');
      assert.equal(reply, 'b:again');

      const broken = echoAt('3', b.port);
      (broken.cds.resources as any)[0].eds_cluster_config = {
        eds_config: { path_config_source: { path: '/x' } },
      };
      const nack = waitFor<NackEvent>(ads, 'nack', (e) => e.nodeId === 'proxyless-1');
      ads.setSnapshot('proxyless-1', broken);
      const event = await nack;
      assert.equal(event.typeUrl, TYPE_URLS.CLUSTER);
      assert.equal(event.version, '3');
      // Version 2 changed only endpoints, so CDS was never re-sent: the client still runs CDS 1.
      assert.equal(event.lastGoodVersion, '1');
      assert.match(event.errorMessage, /eds_config/);
      assert.equal(await call(client, 'still'), 'b:still');
    } finally {
      client.close();
    }
  });

  test('probeProxylessGrpc makes the same call from a fresh process', async () => {
    ads.setSnapshot(
      'probe-1',
      proxylessGrpcSnapshot('1', [{ name: 'echo', endpoints: [{ address: '127.0.0.1', port: a.port }] }]),
    );
    const result = await probeProxylessGrpc({
      bootstrap: grpcXdsBootstrap({ serverUri: `127.0.0.1:${adsPort}`, nodeId: 'probe-1' }),
      target: 'xds:///echo',
      method: ECHO,
      request: Buffer.from('probe'),
    });
    assert.deepEqual(result, { ok: true, response: Buffer.from('a:probe') });
  });

  test('a probe whose target the control plane does not serve reports the gRPC status', async () => {
    ads.setSnapshot('probe-2', proxylessGrpcSnapshot('1', []));
    const result = await probeProxylessGrpc({
      bootstrap: grpcXdsBootstrap({ serverUri: `127.0.0.1:${adsPort}`, nodeId: 'probe-2' }),
      target: 'xds:///nowhere',
      method: ECHO,
      timeoutMs: 500,
    });
    assert.equal(result.ok, false);
    assert.ok(!result.ok && [grpc.status.UNAVAILABLE, grpc.status.DEADLINE_EXCEEDED].includes(result.code));
  });
});
