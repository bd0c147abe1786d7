/**
 * gRPC through the proxy with @grpc/grpc-js on both ends: server and client streaming with
 * payloads larger than the HTTP/2 flow-control windows, retries on gRPC status, and gRPC-shaped
 * local replies (trailers-only, HTTP 200) when the proxy answers itself.
 */
import assert from 'node:assert/strict';
import { connect as h2connect } from 'node:http2';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { buildBootstrap, startProxy, staticCluster, type TestProxy } from '../test-support/harness.js';

const ser = (b: Buffer) => b;
const de = (b: Buffer) => b;
const method = (path: string, requestStream: boolean, responseStream: boolean) => ({
  path,
  requestStream,
  responseStream,
  requestSerialize: ser,
  requestDeserialize: de,
  responseSerialize: ser,
  responseDeserialize: de,
});
const DOWNLOAD = method('/test.Stream/Download', false, true);
const UPLOAD = method('/test.Stream/Upload', true, false);
const FLAKY = method('/test.Stream/Flaky', false, false);
const SLOW = method('/test.Stream/Slow', false, false);
const ENDLESS = method('/test.Stream/Endless', false, true);
const CHUNK_BYTES = 48 * 1024;
const CHUNKS = 40; // 1.9 MB each way: far beyond the 64 KiB initial windows.

function unary(
  client: grpc.Client,
  path: string,
  body: Buffer,
): Promise<{ err: grpc.ServiceError | null; value?: Buffer }> {
  return new Promise((resolve) =>
    client.makeUnaryRequest(path, ser, de, body, (err, value) => resolve({ err: err ?? null, value })),
  );
}

describe('gRPC streaming and retries through the proxy', () => {
  let server: grpc.Server;
  let px: TestProxy;
  let client: grpc.Client;
  let flakyCalls = 0;
  let cancelled: () => void = () => {};

  before(async () => {
    server = new grpc.Server();
    server.addService(
      {
        Download: DOWNLOAD,
        Upload: UPLOAD,
        Flaky: FLAKY,
        Slow: SLOW,
        Endless: ENDLESS,
      } as unknown as grpc.ServiceDefinition,
      {
        Endless: (call: grpc.ServerWritableStream<Buffer, Buffer>) => {
          const timer = setInterval(() => call.write(Buffer.from('tick')), 5);
          call.on('cancelled', () => {
            clearInterval(timer);
            cancelled();
          });
        },
        Slow: (_call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
          setTimeout(() => cb(null, Buffer.from('late')), 300).unref();
        },
        Download: (call: grpc.ServerWritableStream<Buffer, Buffer>) => {
          const n = call.request.readUInt32BE(0);
          for (let i = 0; i < n; i++) call.write(Buffer.alloc(CHUNK_BYTES, i % 251));
          call.end();
        },
        Upload: (call: grpc.ServerReadableStream<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
          let bytes = 0;
          let messages = 0;
          let intact = true;
          call.on('data', (m: Buffer) => {
            if (m[0] !== messages % 251 || m.at(-1) !== messages % 251) intact = false;
            bytes += m.length;
            messages++;
          });
          call.on('end', () => cb(null, Buffer.from(`${messages} ${bytes} ${intact}`)));
        },
        Flaky: (_call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
          flakyCalls++;
          if (flakyCalls % 2 === 1)
            cb({ code: grpc.status.UNAVAILABLE, details: 'warming up' } as grpc.ServiceError);
          else cb(null, Buffer.from('ok'));
        },
      },
    );
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
        err ? reject(err) : resolve(p),
      ),
    );
    const h2 = { http2_protocol_options: {} };
    px = await startProxy(
      buildBootstrap({
        routes: [
          {
            match: { prefix: '/test.Stream/Flaky' },
            route: {
              cluster: 'grpc',
              retry_policy: {
                retry_on: 'unavailable',
                num_retries: 2,
                retry_back_off: { base_interval: '0.001s' },
              },
            },
          },
          { match: { prefix: '/test.Stream/Slow' }, route: { cluster: 'grpc', timeout: '0.05s' } },
          { match: { prefix: '/test.Stream/' }, route: { cluster: 'grpc' } },
          { match: { prefix: '/test.Empty/' }, route: { cluster: 'empty' } },
        ],
        clusters: [staticCluster('grpc', [port], h2), staticCluster('empty', [], h2)],
      }),
    );
    client = new grpc.Client(`127.0.0.1:${px.port}`, grpc.credentials.createInsecure());
  });
  after(async () => {
    client.close();
    await px.close();
    server.forceShutdown();
  });

  test('server streaming delivers every message, in order and intact', async () => {
    const n = Buffer.alloc(4);
    n.writeUInt32BE(CHUNKS);
    const call = client.makeServerStreamRequest(DOWNLOAD.path, ser, de, n);
    let i = 0;
    let intact = true;
    await new Promise<void>((resolve, reject) => {
      call.on('data', (m: Buffer) => {
        if (m.length !== CHUNK_BYTES || m[0] !== i % 251 || m.at(-1) !== i % 251) intact = false;
        i++;
      });
      call.on('end', resolve);
      call.on('error', reject);
    });
    assert.equal(i, CHUNKS);
    assert.ok(intact);
  });

  test('client streaming carries every message to the server and the reply back', async () => {
    const reply = await new Promise<string>((resolve, reject) => {
      const call = client.makeClientStreamRequest(UPLOAD.path, ser, de, (err, v) =>
        err ? reject(err) : resolve(v!.toString()),
      );
      for (let i = 0; i < CHUNKS; i++) call.write(Buffer.alloc(CHUNK_BYTES, i % 251));
      call.end();
    });
    assert.equal(reply, `${CHUNKS} ${CHUNKS * CHUNK_BYTES} true`);
  });

  test('retry_on unavailable retries a trailers-only UNAVAILABLE and the client sees success', async () => {
    const before = flakyCalls;
    const r = await unary(client, FLAKY.path, Buffer.from('x'));
    assert.equal(r.err, null);
    assert.equal(r.value?.toString(), 'ok');
    assert.equal(flakyCalls - before, 2);
    assert.equal(px.log.entries.at(-1)?.attempts, 2);
  });

  test('a route timeout reaches the gRPC client as DEADLINE_EXCEEDED (no client deadline)', async () => {
    const r = await unary(client, SLOW.path, Buffer.from('x'));
    assert.equal(r.err?.code, grpc.status.DEADLINE_EXCEEDED);
    assert.match(r.err?.details ?? '', /upstream request timeout/);
    assert.equal(px.log.entries.at(-1)?.response_flags, 'UT');
  });

  test('a client cancel reaches the upstream as a cancelled call', async () => {
    const upstreamSawCancel = new Promise<void>((resolve) => {
      cancelled = resolve;
    });
    const call = client.makeServerStreamRequest(ENDLESS.path, ser, de, Buffer.alloc(0));
    call.on('error', () => {});
    let got = 0;
    await new Promise<void>((resolve) =>
      call.on('data', () => {
        if (++got === 3) resolve();
      }),
    );
    call.cancel();
    await upstreamSawCancel;
    assert.match(String(px.log.entries.at(-1)?.response_flags), /DC/);
  });

  test('no healthy upstream: the gRPC client gets UNAVAILABLE, not an HTTP error', async () => {
    const r = await unary(client, '/test.Empty/Call', Buffer.from('x'));
    assert.equal(r.err?.code, grpc.status.UNAVAILABLE);
    assert.match(r.err?.details ?? '', /no healthy upstream/);
  });

  test('an unknown route: UNIMPLEMENTED as a trailers-only HTTP 200 response', async () => {
    const session = h2connect(`http://127.0.0.1:${px.port}`);
    try {
      const req = session.request({
        ':method': 'POST',
        ':path': '/nowhere.Svc/M',
        'content-type': 'application/grpc',
        te: 'trailers',
      });
      const head = await new Promise<Record<string, unknown>>((resolve, reject) => {
        req.on('response', (h, flags) => resolve({ ...h, endStream: (flags & 1) === 1 }));
        req.on('error', reject);
        req.end();
      });
      assert.equal(head[':status'], 200);
      assert.equal(head['grpc-status'], String(grpc.status.UNIMPLEMENTED));
      assert.equal(head.endStream, true, 'trailers-only: one HEADERS frame with END_STREAM');
    } finally {
      session.close();
    }
  });
});
