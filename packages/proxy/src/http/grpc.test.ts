/**
 * gRPC through the proxy with @grpc/grpc-js on both ends: h2c downstream (connection preface
 * sniffed on an AUTO listener), HTTP/2 upstream cluster, trailers (`grpc-status`) end to end.
 */
import assert from 'node:assert/strict';
import { createServer as createH2Server, type Http2Server, connect as h2connect } from 'node:http2';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import {
  buildBootstrap,
  send,
  startProxy,
  startUpstream,
  staticCluster,
  type TestProxy,
  type Upstream,
} from '../test-support/harness.js';

const ser = (s: string) => Buffer.from(s);
const de = (b: Buffer) => b.toString();
const ECHO = {
  path: '/test.Echo/Echo',
  requestStream: false,
  responseStream: false,
  requestSerialize: ser,
  requestDeserialize: de,
  responseSerialize: ser,
  responseDeserialize: de,
};
const CHAT = { ...ECHO, path: '/test.Echo/Chat', requestStream: true, responseStream: true };
const FAIL = { ...ECHO, path: '/test.Echo/Fail' };
const SLOW = { ...ECHO, path: '/test.Echo/Slow' };

describe('gRPC through the proxy', () => {
  let server: grpc.Server;
  let px: TestProxy;
  let client: grpc.Client;
  const seenMetadata: grpc.Metadata[] = [];
  before(async () => {
    server = new grpc.Server();
    server.addService(
      { Echo: ECHO, Chat: CHAT, Fail: FAIL, Slow: SLOW } as unknown as grpc.ServiceDefinition,
      {
        Echo: (call: grpc.ServerUnaryCall<string, string>, cb: grpc.sendUnaryData<string>) => {
          seenMetadata.push(call.metadata);
          cb(null, `echo:${call.request}`);
        },
        Chat: (call: grpc.ServerDuplexStream<string, string>) => {
          call.on('data', (m: string) => call.write(`re:${m}`));
          call.on('end', () => call.end());
        },
        Fail: (_call: grpc.ServerUnaryCall<string, string>, cb: grpc.sendUnaryData<string>) => {
          cb({ code: grpc.status.NOT_FOUND, details: 'no such thing' } as grpc.ServiceError);
        },
        Slow: (_call: grpc.ServerUnaryCall<string, string>, cb: grpc.sendUnaryData<string>) => {
          setTimeout(() => cb(null, 'late'), 500);
        },
      },
    );
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
        err ? reject(err) : resolve(p),
      ),
    );
    px = await startProxy(
      buildBootstrap({
        routes: [
          {
            match: { prefix: '/' },
            route: { cluster: 'grpc', max_stream_duration: { grpc_timeout_header_max: '0s' } },
          },
        ],
        clusters: [staticCluster('grpc', [port], { http2_protocol_options: {} })],
      }),
    );
    client = new grpc.Client(`127.0.0.1:${px.port}`, grpc.credentials.createInsecure());
  });
  after(async () => {
    client.close();
    await px.close();
    server.forceShutdown();
  });

  test('a unary call goes through and its metadata reaches the server', async () => {
    const md = new grpc.Metadata();
    md.set('x-tenant', 'acme');
    const reply = await new Promise<string>((resolve, reject) =>
      client.makeUnaryRequest(ECHO.path, ser, de, 'hi', md, (err, v) => (err ? reject(err) : resolve(v!))),
    );
    assert.equal(reply, 'echo:hi');
    assert.deepEqual(seenMetadata.at(-1)!.get('x-tenant'), ['acme']);
    assert.equal(px.log.entries.at(-1)!.protocol, 'HTTP/2');
  });

  test('bidirectional streaming keeps order in both directions', async () => {
    const call = client.makeBidiStreamRequest(CHAT.path, ser, de);
    const got: string[] = [];
    const done = new Promise<void>((resolve, reject) => {
      call.on('data', (m: string) => got.push(m));
      call.on('end', resolve);
      call.on('error', reject);
    });
    for (const m of ['a', 'b', 'c']) call.write(m);
    call.end();
    await done;
    assert.deepEqual(got, ['re:a', 're:b', 're:c']);
  });

  test('a gRPC error status and message arrive in the trailers', async () => {
    const err = await new Promise<grpc.ServiceError>((resolve) =>
      client.makeUnaryRequest(FAIL.path, ser, de, 'x', (e) => resolve(e!)),
    );
    assert.equal(err.code, grpc.status.NOT_FOUND);
    assert.equal(err.details, 'no such thing');
  });

  test('the grpc-timeout deadline bounds the route timeout', async () => {
    const err = await new Promise<grpc.ServiceError>((resolve) =>
      client.makeUnaryRequest(
        SLOW.path,
        ser,
        de,
        'x',
        new grpc.Metadata(),
        { deadline: Date.now() + 100 },
        (e) => resolve(e!),
      ),
    );
    assert.equal(err.code, grpc.status.DEADLINE_EXCEEDED);
  });
});

describe('HTTP/1.1 and HTTP/2 mixed', () => {
  let h2up: Http2Server;
  let h1up: Upstream;
  let px: TestProxy;
  before(async () => {
    h2up = createH2Server();
    h2up.on('stream', (stream, headers) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        stream.respond({ ':status': 200, 'x-proto': 'h2', 'x-method': String(headers[':method']) });
        stream.end(`h2 upstream got ${Buffer.concat(chunks).length} bytes`);
      });
    });
    await new Promise<void>((r) => h2up.listen(0, '127.0.0.1', r));
    h1up = await startUpstream();
    px = await startProxy(
      buildBootstrap({
        routes: [
          { match: { prefix: '/h2' }, route: { cluster: 'h2' } },
          { match: { prefix: '/' }, route: { cluster: 'h1' } },
        ],
        clusters: [
          staticCluster('h2', [(h2up.address() as { port: number }).port], { http2_protocol_options: {} }),
          staticCluster('h1', [h1up.port]),
        ],
      }),
    );
  });
  after(async () => {
    await px.close();
    await h1up.close();
    h2up.close();
  });

  test('an HTTP/1.1 client reaches an HTTP/2 upstream, body included', async () => {
    const res = await send(px.port, { path: '/h2/x', method: 'PUT', body: 'hello' });
    assert.equal(res.status, 200);
    assert.equal(res.headers['x-proto'], 'h2');
    assert.equal(res.headers['x-method'], 'PUT');
    assert.equal(res.body, 'h2 upstream got 5 bytes');
  });

  test('an h2c client reaches an HTTP/1.1 upstream on the same AUTO listener', async () => {
    const session = h2connect(`http://127.0.0.1:${px.port}`);
    try {
      const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = session.request({
          ':path': '/plain?q=1',
          ':method': 'POST',
          'content-type': 'text/plain',
        });
        let st = 0;
        let data = '';
        req.on('response', (h) => {
          st = Number(h[':status']);
        });
        req.on('data', (c: Buffer) => {
          data += c;
        });
        req.on('end', () => resolve({ status: st, body: data }));
        req.on('error', reject);
        req.end('abc');
      });
      assert.equal(status, 200);
      assert.equal(body, `upstream ${h1up.port}`);
      assert.equal(h1up.seen.at(-1)!.url, '/plain?q=1');
      assert.equal(h1up.seen.at(-1)!.body, 'abc');
    } finally {
      session.close();
    }
  });
});
