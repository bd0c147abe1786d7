/**
 * The mesh end to end over real sockets: the control plane, HTTP apps each behind its own
 * sidecar proxy (configured over ADS), and a gateway proxy. Traffic goes gateway → A's sidecar →
 * A → A's outbound listener → B's sidecar → B, as it does under `meshwork up`.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { connect, createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createServer as createTlsServer, connect as tlsConnect } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
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

/** A GET with an explicit Host (fetch cannot set it). */
function get(port: number, host: string, path = '/'): Promise<Reply> {
  return send(port, { method: 'GET', host, path });
}

/** One HTTP/1.1 request with an explicit Host and any method and headers. */
function send(
  port: number,
  opts: { method: string; host: string; path?: string; headers?: Record<string, string> },
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers = { host: opts.host, ...opts.headers };
    const req = request(
      { host: '127.0.0.1', port, method: opts.method, path: opts.path ?? '/', headers, agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** A self-signed certificate for `host`, made with the openssl command line (nothing committed). */
function selfSignedCert(host: string): { cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'mesh-it-cert-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        'key.pem',
        '-out',
        'cert.pem',
        '-days',
        '1',
        '-subj',
        `/CN=${host}`,
        '-addext',
        `subjectAltName=DNS:${host}`,
      ],
      { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    return {
      cert: readFileSync(join(dir, 'cert.pem'), 'utf8'),
      key: readFileSync(join(dir, 'key.pem'), 'utf8'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
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

const meshYaml = (gatewayPort: number, redirectPort: number) => `
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
  servers:
  - { port: { number: ${gatewayPort}, name: http, protocol: HTTP }, hosts: ['*'] }
  - { port: { number: ${redirectPort}, name: http-redirect, protocol: HTTP }, hosts: ['*'], tls: { httpsRedirect: true } }
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

/** A broad traffic policy: what the translator emits for it must be what the proxy accepts. */
const B_POLICY = `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: b }
spec:
  host: b
  trafficPolicy:
    loadBalancer:
      consistentHash: { httpCookie: { name: session, ttl: 3600s, path: / }, ringHash: { minimumRingSize: 64 } }
    connectionPool:
      tcp: { maxConnections: 50, connectTimeout: 250ms }
      http: { http1MaxPendingRequests: 10, http2MaxRequests: 100, maxRequestsPerConnection: 50, maxRetries: 3, idleTimeout: 30s }
    outlierDetection: { consecutive5xxErrors: 5, consecutiveGatewayErrors: 3, interval: 5s, baseEjectionTime: 15s, maxEjectionPercent: 50, minHealthPercent: 10 }
  subsets:
  - name: v1
    labels: { version: v1 }
    trafficPolicy: { loadBalancer: { consistentHash: { httpHeaderName: x-user, maglev: { tableSize: 251 } } } }
  - name: v2
    labels: { version: v2 }
    trafficPolicy: { connectionPool: { http: { maxRetries: 5 } } }
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: b }
spec:
  hosts: [b]
  http:
  - name: probe
    match: [{ uri: { regex: "/probe/[0-9]+" }, headers: { x-probe: { prefix: "y" } }, queryParams: { q: { exact: "1" } }, ignoreUriCase: true }]
    directResponse: { status: 418, body: { string: probed } }
  - match: [{ uri: { prefix: /old } }]
    redirect: { uri: /new, redirectCode: 308 }
  - match: [{ uri: { prefix: /rx }, method: { exact: GET } }]
    rewrite: { uriRegexRewrite: { match: "^/rx/(.*)$", rewrite: '/\\1' }, authority: b.internal }
    route: [{ destination: { host: b, subset: v2 } }]
    fault: { abort: { percentage: { value: 0 }, httpStatus: 503 }, delay: { percentage: { value: 0 }, fixedDelay: 1s } }
  - route: [{ destination: { host: b, subset: v2 }, weight: 100, headers: { response: { set: { x-served-by: v2 } } } }]
    timeout: 3s
    retries: { attempts: 2, perTryTimeout: 1s, retryOn: "5xx,reset,connect-failure,429" }
    mirror: { host: b, subset: v1 }
    mirrorPercentage: { value: 0 }
    headers: { request: { set: { x-mesh: "1" }, remove: [x-drop] } }
`;

const raw = (b: Buffer) => b;
const SAY = {
  path: '/echo.Echo/Say',
  requestStream: false,
  responseStream: false,
  requestSerialize: raw,
  requestDeserialize: raw,
  responseSerialize: raw,
  responseDeserialize: raw,
};

/** A gRPC app (raw bytes, no proto): `Say` echoes, or fails NOT_FOUND for "missing". */
async function startGrpcApp(): Promise<{ port: number; server: grpc.Server }> {
  const server = new grpc.Server();
  server.addService(
    { Say: SAY },
    {
      Say: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
        if (call.request.toString() === 'missing')
          cb({ code: grpc.status.NOT_FOUND, details: 'no such thing' });
        else cb(null, Buffer.concat([Buffer.from('echo:'), call.request]));
      },
    },
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  cleanups.push(() => new Promise<void>((r) => server.tryShutdown(() => r())));
  return { port, server };
}

/** One unary call through `port` (a sidecar's outbound listener) with `:authority` = `service`. */
function say(
  port: number,
  service: string,
  text: string,
): Promise<{ code: number; body?: string; details?: string }> {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
    'grpc.default_authority': service,
  });
  return new Promise((resolve) => {
    client.makeUnaryRequest(SAY.path, raw, raw, Buffer.from(text), (err, value) => {
      client.close();
      if (err) resolve({ code: err.code, details: err.details });
      else resolve({ code: 0, body: value?.toString() });
    });
  });
}

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
  let redirectPort: number;
  let gateway: XdsProxy;
  let a: App;
  let b1: App;
  let b2: App;

  before(async () => {
    cp = await startControlPlane({ restPort: 0, xdsPort: 0, debounceMs: 10, dataDir });
    cleanups.push(() => cp.close());
    gatewayPort = await freePort();
    redirectPort = await freePort();
    [a, b1, b2] = [await startApp('a', 'v1'), await startApp('b', 'v1'), await startApp('b', 'v2')];
    for (const app of [a, b1, b2]) register(cp, app);
    await applyYaml(cp, meshYaml(gatewayPort, redirectPort));
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

  test('a Gateway server with tls.httpsRedirect answers plain HTTP with a 301 to https', async () => {
    const r = await get(redirectPort, 'shop.example.com', '/cart?id=7');
    assert.equal(r.status, 301);
    assert.equal(r.headers.location, 'https://shop.example.com/cart?id=7');
  });

  test('a corsPolicy on a gateway route: preflights answered by the proxy, responses carry CORS headers', async () => {
    const changeId = await applyYaml(
      cp,
      `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: a-edge }
spec:
  hosts: ['*']
  gateways: [edge]
  http:
  - route: [{ destination: { host: a } }]
    corsPolicy:
      allowOrigins: [{ exact: 'https://shop.example.com' }]
      allowMethods: [GET, POST]
      allowHeaders: [content-type]
      exposeHeaders: [x-served-by]
      maxAge: 10m
`,
    );
    await until('the CORS change acknowledged by every proxy', async () => {
      const r = (await (await fetch(`${cp.url}/v1/changes/${changeId}`)).json()) as {
        state: string;
        proxies: { pending: number; nacked: number };
      };
      assert.equal(r.proxies.nacked, 0);
      return r.state === 'pushed' && r.proxies.pending === 0;
    });
    const preflight = {
      method: 'OPTIONS',
      host: 'shop.example.com',
      path: '/cart',
      headers: { origin: 'https://shop.example.com', 'access-control-request-method': 'POST' },
    };
    const answered = await send(gatewayPort, preflight);
    assert.equal(answered.status, 200);
    assert.equal(answered.headers['access-control-allow-origin'], 'https://shop.example.com');
    assert.equal(answered.headers['access-control-allow-methods'], 'GET,POST');
    assert.equal(answered.headers['access-control-allow-headers'], 'content-type');
    assert.equal(answered.headers['access-control-max-age'], '600');
    assert.equal(answered.body, '', 'answered by the proxy, not the app');
    // Another origin's preflight is forwarded to the app, which knows nothing of CORS.
    const forwarded = await send(gatewayPort, {
      ...preflight,
      headers: { ...preflight.headers, origin: 'https://evil.example.net' },
    });
    assert.equal(forwarded.headers['access-control-allow-origin'], undefined);
    assert.equal(forwarded.body, 'a-v1');
    const actual = await send(gatewayPort, {
      method: 'GET',
      host: 'shop.example.com',
      headers: { origin: 'https://shop.example.com' },
    });
    assert.equal(actual.body, 'a-v1');
    assert.equal(actual.headers['access-control-allow-origin'], 'https://shop.example.com');
    assert.equal(actual.headers['access-control-expose-headers'], 'x-served-by');
  });

  test('TCP: a Sidecar egress port and a gateway TCP server reach a TCP app through its sidecar', async () => {
    // A line-echo server standing for a database: it answers `db:<line>`.
    const echo = createNetServer((socket) => {
      socket.setEncoding('utf8');
      socket.on('data', (d: string) => socket.write(`db:${d}`));
      socket.on('error', () => {});
    });
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => echo.close(() => r())));
    const db = { name: 'db', id: 'db-1', version: 'v1' } as App;
    db.appPort = (echo.address() as { port: number }).port;
    [db.inboundPort, db.outboundPort] = [await freePort(), await freePort()];
    cp.registry.register({
      service: 'db',
      instanceId: db.id,
      address: '127.0.0.1',
      port: db.appPort,
      sidecarPort: db.inboundPort,
      protocol: 'tcp',
      ttlMs: 60_000,
    });
    const dbSidecar = await startSidecar(cp, db);
    // A client workload whose Sidecar resource gives it a local port for the database.
    const [egressPort, tcpGatewayPort] = [await freePort(), await freePort()];
    const client = await startXdsProxy({
      address: cp.xdsAddress,
      mode: 'sidecar',
      node: proxyNode({
        nodeId: 'reports-1',
        service: 'reports',
        mode: 'sidecar',
        inboundPort: await freePort(),
        outboundPort: await freePort(),
        appPort: await freePort(),
        labels: { app: 'reports' },
      }),
      backoff: { initialMs: 50, maxMs: 200 },
    });
    cleanups.push(() => client.close());
    const changeId = await applyYaml(
      cp,
      `apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: { name: reports }
spec:
  workloadSelector: { labels: { app: reports } }
  egress:
  - port: { number: ${egressPort}, protocol: TCP, name: tcp-db }
    hosts: [./db.default.svc.cluster.local]
  - hosts: ['./*']
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: edge-tcp }
spec:
  servers:
  - { port: { number: ${tcpGatewayPort}, name: tcp-db, protocol: TCP }, hosts: ['*'] }
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: db-edge }
spec:
  hosts: ['*']
  gateways: [edge-tcp]
  tcp: [{ route: [{ destination: { host: db } }] }]
`,
    );
    await until('the TCP change acknowledged by every proxy', async () => {
      const r = (await (await fetch(`${cp.url}/v1/changes/${changeId}`)).json()) as {
        state: string;
        proxies: { pending: number; nacked: number };
        nacks: unknown[];
      };
      assert.deepEqual(r.nacks, []);
      return r.state === 'pushed' && r.proxies.pending === 0;
    });
    const exchange = (port: number, line: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = connect(port, '127.0.0.1', () => socket.write(line));
        socket.setEncoding('utf8');
        let got = '';
        socket.on('data', (d: string) => {
          got += d;
          if (got.length >= line.length + 3) {
            socket.end();
            resolve(got);
          }
        });
        socket.on('error', reject);
        socket.setTimeout(2000, () => socket.destroy(new Error('no answer in 2 s')));
      });
    const viaEgress = await until('the egress port answers', async () => exchange(egressPort, 'select 1;'));
    assert.equal(viaEgress.value, 'db:select 1;');
    const viaGateway = await until('the gateway TCP port answers', async () =>
      exchange(tcpGatewayPort, 'hello'),
    );
    assert.equal(viaGateway.value, 'db:hello');
    await dbSidecar.close();
    cp.registry.deregister(db.id);
  });

  test('TLS passthrough: the gateway picks the route by SNI and never terminates TLS', async () => {
    const cert = selfSignedCert('vault.example.com');
    // The app terminates TLS itself and names the SNI it was reached with.
    const app = createTlsServer(cert, (socket) => socket.end(`vault:${socket.servername}`));
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => app.close(() => r())));
    const vault = { name: 'vault', id: 'vault-1', version: 'v1' } as App;
    vault.appPort = (app.address() as { port: number }).port;
    [vault.inboundPort, vault.outboundPort] = [await freePort(), await freePort()];
    cp.registry.register({
      service: 'vault',
      instanceId: vault.id,
      address: '127.0.0.1',
      port: vault.appPort,
      sidecarPort: vault.inboundPort,
      protocol: 'tcp',
      ttlMs: 60_000,
    });
    const vaultSidecar = await startSidecar(cp, vault);
    const tlsPort = await freePort();
    const changeId = await applyYaml(
      cp,
      `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: edge-tls }
spec:
  servers:
  - port: { number: ${tlsPort}, name: tls, protocol: TLS }
    hosts: [vault.example.com]
    tls: { mode: PASSTHROUGH }
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: vault-edge }
spec:
  hosts: [vault.example.com]
  gateways: [edge-tls]
  tls:
  - match: [{ sniHosts: [vault.example.com] }]
    route: [{ destination: { host: vault } }]
`,
    );
    await until('the TLS change acknowledged by every proxy', async () => {
      const r = (await (await fetch(`${cp.url}/v1/changes/${changeId}`)).json()) as {
        state: string;
        proxies: { pending: number };
        nacks: unknown[];
      };
      assert.deepEqual(r.nacks, []);
      return r.state === 'pushed' && r.proxies.pending === 0;
    });
    const hello = (servername: string) =>
      new Promise<{ text: string; peer: string }>((resolve, reject) => {
        const socket = tlsConnect({ host: '127.0.0.1', port: tlsPort, servername, ca: cert.cert }, () => {
          const peer = String(socket.getPeerCertificate().subject?.CN ?? '');
          let text = '';
          socket.setEncoding('utf8');
          socket.on('data', (d: string) => {
            text += d;
          });
          socket.on('end', () => resolve({ text, peer }));
        });
        socket.on('error', reject);
        socket.setTimeout(2000, () => socket.destroy(new Error('no answer in 2 s')));
      });
    const { value } = await until('vault answers through the gateway', () => hello('vault.example.com'));
    // The certificate seen end to end is the app's own: the proxy passed the bytes through.
    assert.deepEqual(value, { text: 'vault:vault.example.com', peer: 'vault.example.com' });
    // An SNI no route names matches no filter chain: the connection is closed.
    await assert.rejects(hello('other.example.com'));
    await vaultSidecar.close();
    cp.registry.deregister(vault.id);
  });

  test('gRPC crosses two sidecars over HTTP/2, statuses and all', async () => {
    const echo = await startGrpcApp();
    const app = { name: 'echo', id: 'echo-1', version: 'v1', appPort: echo.port } as App;
    [app.inboundPort, app.outboundPort] = [await freePort(), await freePort()];
    cp.registry.register({
      service: 'echo',
      instanceId: app.id,
      address: '127.0.0.1',
      port: app.appPort,
      sidecarPort: app.inboundPort,
      protocol: 'grpc',
      ttlMs: 60_000,
    });
    const sidecar = await startSidecar(cp, app);
    await sidecar.source.whenReady();
    const { value } = await until('A reaches echo over gRPC', async () => {
      const r = await say(a.outboundPort, 'echo', 'hi');
      return r.code === 0 && r;
    });
    assert.equal(value.body, 'echo:hi');
    assert.deepEqual(await say(a.outboundPort, 'echo', 'missing'), {
      code: grpc.status.NOT_FOUND,
      details: 'no such thing',
    });
    await sidecar.close();
    cp.registry.deregister(app.id);
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

  test('every proxy accepts what the translator emits for a broad traffic policy', async () => {
    const changeId = await applyYaml(cp, B_POLICY);
    const { value: report } = await until('change acknowledged everywhere', async () => {
      const r = (await (await fetch(`${cp.url}/v1/changes/${changeId}`)).json()) as {
        state: string;
        proxies: { pending: number; nacked: number };
        nacks: unknown[];
      };
      return r.state === 'pushed' && r.proxies.pending === 0 && r;
    });
    assert.deepEqual(report.nacks, []);
    assert.equal(report.proxies.nacked, 0);
    const probe = await get(a.outboundPort, 'b', '/PROBE/7?q=1');
    assert.equal(probe.status, 200, 'x-probe header missing: falls through to the default route');
    const served = await get(a.outboundPort, 'b');
    assert.equal(served.body, 'b-v2');
    assert.equal(served.headers['x-served-by'], 'v2');
    assert.match(
      String(served.headers['set-cookie']),
      /^session="[0-9a-f]+"; Max-Age=3600; Path=\/; HttpOnly/,
    );
    assert.equal((await get(a.outboundPort, 'b', '/old/x')).status, 308);
  });

  test('a deregistered instance leaves the endpoints within a second (503, no healthy upstream)', async () => {
    assert.equal((await get(a.outboundPort, 'b')).body, 'b-v2');
    const removed = Date.now();
    const res = await fetch(`${cp.url}/v1/registry/instances/${b2.id}`, { method: 'DELETE' });
    assert.equal(res.status, 204);
    const { value } = await until('v2 subset empty', async () => {
      const r = await get(a.outboundPort, 'b');
      return r.status === 503 && r;
    });
    const tookMs = Date.now() - removed;
    assert.equal(value.body, 'no healthy upstream');
    assert.ok(tookMs < 1000, `endpoint left after ${tookMs} ms`);
    console.error(`deregistration → 503 UH at A's sidecar in ${tookMs} ms`);
  });

  test('an instance that stops heartbeating leaves the endpoints once its TTL lapses', async () => {
    const silent = await startApp('b', 'v2');
    silent.id = 'b-v2-silent';
    silent.sidecar = await startSidecar(cp, silent);
    const ttlMs = 1500;
    const registeredAt = Date.now();
    cp.registry.register({
      service: 'b',
      instanceId: silent.id,
      address: '127.0.0.1',
      port: silent.appPort,
      sidecarPort: silent.inboundPort,
      version: 'v2',
      ttlMs,
    });
    await until(
      'the new instance serves',
      async () => (await get(a.outboundPort, 'b')).body === 'b-v2-silent',
    );
    await until('it expires', async () => (await get(a.outboundPort, 'b')).status === 503, 5000);
    const goneAfterMs = Date.now() - registeredAt;
    assert.ok(goneAfterMs >= ttlMs, `expired after ${goneAfterMs} ms, before its ${ttlMs} ms TTL`);
    console.error(`no heartbeat: endpoint gone ${goneAfterMs - ttlMs} ms after the TTL lapsed`);
  });

  test('proxies keep serving while the control plane is down and after it returns, then resync', async () => {
    const { xdsPort } = cp;
    await cp.close();
    await until('sidecars notice', async () => !a.sidecar!.source.client.connected);
    for (let i = 0; i < 3; i++) {
      const r = await get(gatewayPort, 'shop.example.com', '/call/b');
      assert.equal(r.status, 503, 'last configuration still in force: v2 has no endpoints');
      assert.equal((await get(gatewayPort, 'shop.example.com')).body, 'a-v1');
    }
    // Same ADS port (the proxies dial it); the REST port may change. A reconnecting proxy's
    // ephemeral source port can hold the number for a moment, so binding is retried.
    for (let attempt = 1; ; attempt++) {
      try {
        cp = await startControlPlane({ restPort: 0, xdsPort, debounceMs: 10, dataDir });
        break;
      } catch (err) {
        if (attempt === 20) throw err;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    cleanups.push(() => cp.close());
    // No instance has re-registered yet (their next heartbeat would be refused first): the
    // restarted control plane restores them, so reconnecting proxies keep their endpoints.
    assert.deepEqual(
      cp.registry
        .list()
        .map((r) => r.instanceId)
        .sort(),
      ['a-v1', 'b-v1'],
    );
    await until(
      'sidecars reconnect',
      async () => a.sidecar!.source.client.connected && gateway.source.client.connected,
    );
    for (let i = 0; i < 5; i++) {
      const r = await get(gatewayPort, 'shop.example.com');
      assert.equal(r.status, 200, `request ${i} after the reconnect: ${r.body}`);
      await new Promise((resolve) => setTimeout(resolve, 30));
    }
    const applied = Date.now();
    await applyYaml(cp, bToSubset('v1'));
    await until('routing follows a change made after the restart', async () => {
      const r = await get(gatewayPort, 'shop.example.com', '/call/b');
      return r.status === 200 && r.body === 'a-v1>b-v1';
    });
    console.error(
      `after restart: apply → routing to v1 through gateway and two sidecars in ${Date.now() - applied} ms`,
    );
  });
});
