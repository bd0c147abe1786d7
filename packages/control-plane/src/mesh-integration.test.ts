/**
 * The mesh end to end over real sockets: the control plane, HTTP apps each behind its own
 * sidecar proxy (configured over ADS), and a gateway proxy. Traffic goes gateway → A's sidecar →
 * A → A's outbound listener → B's sidecar → B, as it does under `meshwork up`.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { proxyNode, startXdsProxy, type XdsProxy } from '@meshwork/proxy';
import { type ControlPlane, startControlPlane } from './control-plane.js';

const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createNetServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

interface Reply {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

/** One HTTP/1.1 request with an explicit Host (fetch cannot set it). */
function get(port: number, host: string, path = '/'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host }, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function until<T>(what: string, probe: () => Promise<T | false | undefined>, timeoutMs = 5000) {
  const started = Date.now();
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v) return { value: v, elapsedMs: Date.now() - started };
    } catch (err) {
      last = err;
    }
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what} (${String(last)})`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

interface App {
  name: string;
  id: string;
  version: string;
  appPort: number;
  inboundPort: number;
  outboundPort: number;
  server: Server;
  sidecar?: XdsProxy;
}

/** An app answering `<name>-<version>`; `/call/<svc>` calls `svc` through its own sidecar. */
async function startApp(name: string, version: string): Promise<App> {
  const [inboundPort, outboundPort] = [await freePort(), await freePort()];
  const app = { name, id: `${name}-${version}`, version, inboundPort, outboundPort } as App;
  app.server = createServer((req, res) => {
    const target = /^\/call\/([a-z]+)$/.exec(req.url ?? '')?.[1];
    if (target === undefined) {
      res.end(`${app.id}`);
      return;
    }
    get(outboundPort, target).then(
      (r) => {
        res.writeHead(r.status);
        res.end(`${app.id}>${r.body}`);
      },
      (err: Error) => {
        res.writeHead(599);
        res.end(err.message);
      },
    );
  });
  await new Promise<void>((r) => app.server.listen(0, '127.0.0.1', r));
  app.appPort = (app.server.address() as { port: number }).port;
  cleanups.push(() => {
    app.server.closeAllConnections();
    return new Promise<void>((r) => app.server.close(() => r()));
  });
  return app;
}

function register(cp: ControlPlane, app: App): void {
  cp.registry.register({
    service: app.name,
    instanceId: app.id,
    address: '127.0.0.1',
    port: app.appPort,
    sidecarPort: app.inboundPort,
    version: app.version,
    ttlMs: 60_000,
  });
}

async function startSidecar(cp: ControlPlane, app: App): Promise<XdsProxy> {
  const p = await startXdsProxy({
    address: cp.xdsAddress,
    mode: 'sidecar',
    node: proxyNode({
      nodeId: app.id,
      service: app.name,
      mode: 'sidecar',
      inboundPort: app.inboundPort,
      outboundPort: app.outboundPort,
      appPort: app.appPort,
    }),
    backoff: { initialMs: 50, maxMs: 200 },
  });
  cleanups.push(() => p.close());
  return p;
}

const meshYaml = (gatewayPort: number) => `
apiVersion: v1
kind: Service
metadata: { name: a }
spec: { ports: [{ port: 80, name: http }] }
---
apiVersion: v1
kind: Service
metadata: { name: b }
spec: { ports: [{ port: 80, name: http }] }
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: edge }
spec:
  servers: [{ port: { number: ${gatewayPort}, name: http, protocol: HTTP }, hosts: ['*'] }]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: a-edge }
spec:
  hosts: ['*']
  gateways: [edge]
  http: [{ route: [{ destination: { host: a } }] }]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: b }
spec:
  host: b
  subsets: [{ name: v1, labels: { version: v1 } }, { name: v2, labels: { version: v2 } }]
`;

const bToSubset = (subset: string) => `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: b }
spec:
  hosts: [b]
  http: [{ route: [{ destination: { host: b, subset: ${subset} }, weight: 100 }] }]
`;

async function applyYaml(cp: ControlPlane, yaml: string): Promise<string> {
  const res = await fetch(`${cp.url}/v1/resources`, {
    method: 'POST',
    headers: { 'content-type': 'application/yaml' },
    body: yaml,
  });
  const body = (await res.json()) as { changeId: string };
  assert.equal(res.status, 200, JSON.stringify(body));
  return body.changeId;
}

describe('mesh: control plane + sidecars + gateway over ADS', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'mesh-it-'));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  let cp: ControlPlane;
  let gatewayPort: number;
  let gateway: XdsProxy;
  let a: App;
  let b1: App;
  let b2: App;

  before(async () => {
    cp = await startControlPlane({ restPort: 0, xdsPort: 0, debounceMs: 10, dataDir });
    cleanups.push(() => cp.close());
    gatewayPort = await freePort();
    [a, b1, b2] = [await startApp('a', 'v1'), await startApp('b', 'v1'), await startApp('b', 'v2')];
    for (const app of [a, b1, b2]) register(cp, app);
    await applyYaml(cp, meshYaml(gatewayPort));
    for (const app of [a, b1, b2]) app.sidecar = await startSidecar(cp, app);
    gateway = await startXdsProxy({
      address: cp.xdsAddress,
      mode: 'gateway',
      adminPort: 0,
      node: proxyNode({ nodeId: 'gateway', service: 'gateway', mode: 'gateway' }),
      backoff: { initialMs: 50, maxMs: 200 },
    });
    cleanups.push(() => gateway.close());
    for (const p of [gateway, a.sidecar!, b1.sidecar!, b2.sidecar!]) {
      p.source.on('rejected', (r) => console.error(`NACK ${r.typeUrl} ${r.version}: ${r.error.message}`));
      await p.source.whenReady();
    }
  });

  test('the gateway reaches app A through its sidecar; A reaches B through both sidecars', async () => {
    const viaGateway = await get(gatewayPort, 'shop.example.com');
    assert.equal(viaGateway.status, 200, viaGateway.body);
    assert.equal(viaGateway.body, 'a-v1');
    const call = await get(gatewayPort, 'shop.example.com', '/call/b');
    assert.equal(call.status, 200, call.body);
    assert.match(call.body, /^a-v1>b-v[12]$/);
    const ready = await fetch(`http://127.0.0.1:${gateway.proxy.adminPort}/ready`);
    assert.equal(ready.status, 200);
  });

  test('a VirtualService sending 100% to subset v2 changes routing', async () => {
    const applied = Date.now();
    await applyYaml(cp, bToSubset('v2'));
    const { elapsedMs } = await until('B traffic on v2 only', async () => {
      for (let i = 0; i < 4; i++) if ((await get(a.outboundPort, 'b')).body !== 'b-v2') return false;
      return true;
    });
    console.error(`convergence: apply → sidecar routing to v2 in ${Date.now() - applied} ms (${elapsedMs})`);
  });
});
