// A proxyless gRPC client driven over stdin, for the interop test: it resolves `xds:///<target>`
// through the control plane named in GRPC_XDS_BOOTSTRAP using @grpc/grpc-js-xds, exactly as an
// application would. Each stdin line "call <n>" makes n unary calls and prints one JSON line:
// { backends: { <id>: count }, errors: { <grpc code>: count } }.
import { createInterface } from 'node:readline';
import * as grpc from '@grpc/grpc-js';
import * as grpcXds from '@grpc/grpc-js-xds';

grpcXds.register();

const target = process.argv[2];
const client = new grpc.Client(`xds:///${target}`, grpc.credentials.createInsecure());
const identity = (b) => b;

function call() {
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      '/meshwork.test.Echo/Who',
      identity,
      identity,
      Buffer.alloc(0),
      { deadline: Date.now() + 2000 },
      (err, reply) => resolve(err ? { code: err.code } : { backend: reply.toString() }),
    );
  });
}

const lines = createInterface({ input: process.stdin });
lines.on('line', async (line) => {
  const [verb, arg] = line.trim().split(/\s+/);
  if (verb === 'exit') {
    client.close();
    process.exit(0);
  }
  if (verb !== 'call') return;
  const backends = {};
  const errors = {};
  for (let i = 0; i < Number(arg); i++) {
    const r = await call();
    if (r.backend !== undefined) backends[r.backend] = (backends[r.backend] ?? 0) + 1;
    else errors[r.code] = (errors[r.code] ?? 0) + 1;
  }
  process.stdout.write(`${JSON.stringify({ backends, errors })}\n`);
});
