/**
 * Interoperability with a real xDS client: a `@grpc/grpc-js-xds` application in a child process
 * resolves `xds:///greeter` through the control plane, balances over two registered grpc-js
 * backends, follows a weighted split and a fault-injection abort we push. This proves the xDS we
 * serve is what gRPC's own implementation expects.
 */
import assert from 'node:assert/strict';
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { type ControlPlane, startControlPlane } from '../control-plane.js';

interface CallResult {
  backends: Record<string, number>;
  errors: Record<string, number>;
}

let cp: ControlPlane;
let child: ChildProcessWithoutNullStreams;
let nextLine: () => Promise<string>;
const backends: grpc.Server[] = [];
let dir: string;

async function startBackend(id: string): Promise<number> {
  const server = new grpc.Server();
  const identity = (b: Buffer) => b;
  server.addService(
    {
      Who: {
        path: '/meshwork.test.Echo/Who',
        requestStream: false,
        responseStream: false,
        requestSerialize: identity,
        requestDeserialize: identity,
        responseSerialize: identity,
        responseDeserialize: identity,
      },
    },
    { Who: (_call: unknown, cb: (err: null, reply: Buffer) => void) => cb(null, Buffer.from(id)) },
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  backends.push(server);
  return port;
}

async function apply(yaml: string): Promise<void> {
  const res = await fetch(`${cp.url}/v1/resources`, {
    method: 'POST',
    headers: { 'content-type': 'application/yaml' },
    body: yaml,
  });
  assert.equal(res.status, 200, await res.text());
}

async function calls(n: number): Promise<CallResult> {
  child.stdin.write(`call ${n}\n`);
  return JSON.parse(await nextLine()) as CallResult;
}

/** Calls until `ok` holds (config propagates asynchronously), failing after a deadline. */
async function callsUntil(n: number, ok: (r: CallResult) => boolean, what: string): Promise<CallResult> {
  const deadline = Date.now() + 15_000;
  let last: CallResult | undefined;
  while (Date.now() < deadline) {
    last = await calls(n);
    if (ok(last)) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what}: last result ${JSON.stringify(last)}`);
}

before(async () => {
  cp = await startControlPlane({ restPort: 0, xdsPort: 0, debounceMs: 10 });
  const v1 = await startBackend('greeter-v1');
  const v2 = await startBackend('greeter-v2');
  for (const [id, port, version] of [
    ['greeter-1', v1, 'v1'],
    ['greeter-2', v2, 'v2'],
  ] as const) {
    cp.registry.register({
      service: 'greeter',
      instanceId: id,
      address: '127.0.0.1',
      port,
      protocol: 'grpc',
      version,
    });
  }
  dir = mkdtempSync(join(tmpdir(), 'grpc-xds-'));
  const bootstrap = join(dir, 'bootstrap.json');
  writeFileSync(
    bootstrap,
    JSON.stringify({
      xds_servers: [
        { server_uri: cp.xdsAddress, channel_creds: [{ type: 'insecure' }], server_features: ['xds_v3'] },
      ],
      node: { id: 'proxyless-client-1', locality: {}, metadata: { NAMESPACE: 'default' } },
    }),
  );
  const script = fileURLToPath(new URL('./interop/grpc-xds-client.mjs', import.meta.url));
  child = spawn(process.execPath, [script, 'greeter'], {
    env: { ...process.env, GRPC_XDS_BOOTSTRAP: bootstrap },
  });
  const lines = createInterface({ input: child.stdout });
  const queue: string[] = [];
  const waiting: ((line: string) => void)[] = [];
  lines.on('line', (line) => {
    const w = waiting.shift();
    if (w) w(line);
    else queue.push(line);
  });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  nextLine = () =>
    new Promise((resolve, reject) => {
      const queued = queue.shift();
      if (queued !== undefined) return resolve(queued);
      const timer = setTimeout(() => reject(new Error(`client gave no answer; stderr: ${stderr}`)), 30_000);
      waiting.push((line) => {
        clearTimeout(timer);
        resolve(line);
      });
    });
});

after(async () => {
  child?.stdin.write('exit\n');
  child?.kill();
  await cp?.close();
  for (const s of backends) s.forceShutdown();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('grpc-js-xds resolves xds:///greeter and balances over both registered backends', async () => {
  const r = await callsUntil(
    20,
    (x) => (x.backends['greeter-v1'] ?? 0) > 0 && (x.backends['greeter-v2'] ?? 0) > 0,
    'round robin',
  );
  assert.deepEqual(r.errors, {});
  const proxies = (await (await fetch(`${cp.url}/v1/proxies`)).json()) as {
    proxies: { id: string; mode: string }[];
  };
  assert.ok(proxies.proxies.some((p) => p.id === 'proxyless-client-1' && p.mode === 'proxyless'));
});

test('an instance that leaves the registry stops getting calls and returns when it registers again', async () => {
  const port = cp.registry.get('greeter-2')!.port;
  cp.registry.deregister('greeter-2');
  await callsUntil(20, (x) => x.backends['greeter-v1'] === 20, 'all calls to the remaining instance');
  cp.registry.register({
    service: 'greeter',
    instanceId: 'greeter-2',
    address: '127.0.0.1',
    port,
    protocol: 'grpc',
    version: 'v2',
  });
  await callsUntil(20, (x) => (x.backends['greeter-v2'] ?? 0) > 0, 'the instance is back in rotation');
});

test('grpc-js-xds follows a weighted split we push', async () => {
  await apply(`
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: greeter }
spec:
  host: greeter
  subsets: [{ name: v1, labels: { version: v1 } }, { name: v2, labels: { version: v2 } }]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: greeter }
spec:
  hosts: [greeter]
  http: [{ route: [{ destination: { host: greeter, subset: v2 }, weight: 100 }, { destination: { host: greeter, subset: v1 }, weight: 0 }] }]
`);
  await callsUntil(20, (x) => x.backends['greeter-v2'] === 20, 'all traffic to v2');
  await apply(`
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: greeter }
spec:
  hosts: [greeter]
  http: [{ route: [{ destination: { host: greeter, subset: v1 }, weight: 80 }, { destination: { host: greeter, subset: v2 }, weight: 20 }] }]
`);
  // 200 calls at 80/20: v1 expects 160 (σ ≈ 5.7); the bounds are far outside noise.
  const r = await callsUntil(200, (x) => (x.backends['greeter-v1'] ?? 0) > 120, 'an 80/20 split');
  assert.ok((r.backends['greeter-v1'] ?? 0) < 195, JSON.stringify(r));
  assert.ok((r.backends['greeter-v2'] ?? 0) > 5, JSON.stringify(r));
});

test('grpc-js-xds applies a fault-injection abort we push', async () => {
  await apply(`
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: greeter }
spec:
  hosts: [greeter]
  http:
  - fault: { abort: { grpcStatus: ABORTED, percentage: { value: 100 } } }
    route: [{ destination: { host: greeter, subset: v1 } }]
`);
  const r = await callsUntil(
    10,
    (x) => x.errors[String(grpc.status.ABORTED)] === 10,
    'every call aborted with ABORTED',
  );
  assert.deepEqual(r.backends, {});
});
