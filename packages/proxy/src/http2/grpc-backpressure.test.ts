/**
 * Back-pressure through the proxy: a gRPC client that stops reading stops the upstream writer
 * (HTTP/2 flow control on both hops plus the proxy pausing its upstream stream), instead of the
 * proxy buffering the whole stream in memory.
 */
import assert from 'node:assert/strict';
import { connect as h2connect } from 'node:http2';
import { after, before, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { buildBootstrap, startProxy, staticCluster, type TestProxy } from '../test-support/harness.js';

// grpc-js buffers 16 messages per call itself; small messages keep its share small.
const CHUNK_BYTES = 64 * 1024;
const CHUNKS = 400;
const FLOOD = {
  path: '/test.Flood/Flood',
  requestStream: false,
  responseStream: true,
  requestSerialize: (b: Buffer) => b,
  requestDeserialize: (b: Buffer) => b,
  responseSerialize: (b: Buffer) => b,
  responseDeserialize: (b: Buffer) => b,
};

let server: grpc.Server;
let px: TestProxy;
let client: grpc.Client;
let written = 0;
let uploadCall: grpc.ServerReadableStream<Buffer, Buffer> | null = null;
let uploaded = 0;
const SINK = { ...FLOOD, path: '/test.Flood/Sink', requestStream: true, responseStream: false };

before(async () => {
  server = new grpc.Server();
  server.addService({ Flood: FLOOD, Sink: SINK } as unknown as grpc.ServiceDefinition, {
    Sink: (call: grpc.ServerReadableStream<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
      uploadCall = call;
      call.pause(); // the test resumes it
      call.on('data', () => {
        uploaded++;
      });
      call.on('end', () => cb(null, Buffer.from(String(uploaded))));
    },
    Flood: (call: grpc.ServerWritableStream<Buffer, Buffer>) => {
      const chunk = Buffer.alloc(CHUNK_BYTES, 7);
      const pump = () => {
        while (written < CHUNKS) {
          written++;
          if (!call.write(chunk)) {
            call.once('drain', pump);
            return;
          }
        }
        call.end();
      };
      pump();
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  px = await startProxy(
    buildBootstrap({
      routes: [{ match: { prefix: '/' }, route: { cluster: 'grpc', timeout: '0s' } }],
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

test('a client that stops reading stops the upstream writer; resuming delivers everything', async () => {
  // A raw HTTP/2 client: grpc-js would itself buffer 16 messages, hiding what the proxy does.
  const session = h2connect(`http://127.0.0.1:${px.port}`);
  try {
    const req = session.request({
      ':method': 'POST',
      ':path': FLOOD.path,
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    req.end(Buffer.alloc(5)); // one empty length-prefixed message
    let bytes = 0;
    await new Promise<void>((resolve) => {
      req.once('data', (c: Buffer) => {
        bytes += c.length;
        req.pause();
        resolve();
      });
    });
    await new Promise((r) => setTimeout(r, 300));
    const writtenWhilePaused = written;
    assert.ok(
      writtenWhilePaused <= 100,
      `the upstream wrote ${writtenWhilePaused} of ${CHUNKS} messages while the client read nothing`,
    );
    const trailers = new Promise<Record<string, unknown>>((resolve) => req.once('trailers', resolve));
    req.on('data', (c: Buffer) => {
      bytes += c.length;
    });
    req.resume();
    await new Promise((resolve) => req.once('end', resolve));
    assert.equal(bytes, CHUNKS * (CHUNK_BYTES + 5));
    assert.equal((await trailers)['grpc-status'], '0');
  } finally {
    session.close();
  }
});

test('an upstream that stops reading stops the client upload', async () => {
  const session = h2connect(`http://127.0.0.1:${px.port}`);
  try {
    const req = session.request({
      ':method': 'POST',
      ':path': SINK.path,
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    const frame = Buffer.alloc(CHUNK_BYTES + 5);
    frame.writeUInt32BE(CHUNK_BYTES, 1);
    let sent = 0;
    const pump = () => {
      while (sent < CHUNKS) {
        sent++;
        if (!req.write(frame)) {
          req.once('drain', pump);
          return;
        }
      }
      req.end();
    };
    pump();
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(uploadCall !== null, 'the call reached the upstream');
    assert.ok(sent <= 100, `the client pushed ${sent} of ${CHUNKS} messages into a paused upstream`);
    const trailers = new Promise<Record<string, unknown>>((resolve) => req.once('trailers', resolve));
    req.resume();
    uploadCall?.resume();
    const status = (await trailers)['grpc-status'];
    assert.equal(status, '0');
    assert.equal(uploaded, CHUNKS);
  } finally {
    session.close();
  }
});
