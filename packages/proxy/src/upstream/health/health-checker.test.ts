import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { createServer as createHttp2Server } from 'node:http2';
import { type AddressInfo, createServer as createTcpServer } from 'node:net';
import { describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { ManualClock, systemClock } from '../clock.js';
import { UpstreamHost } from '../host.js';
import { compileHealthCheck } from './health-check-config.js';
import { HealthChecker } from './health-checker.js';
import { localHost, waitFor } from './test-support.js';

const fast = { timeout: '0.2s', interval: '0.02s', unhealthy_threshold: 2, healthy_threshold: 2 };

function checker(config: Record<string, unknown>, hosts: UpstreamHost[], fresh = true) {
  const changes: string[] = [];
  const hc = new HealthChecker(
    'inventory',
    [compileHealthCheck('hc', { ...fast, ...config })],
    systemClock,
    Math.random,
    {
      onCheckResult: () => {},
      onHealthChanged: (h, healthy) => changes.push(`${h.port} ${healthy ? 'healthy' : 'unhealthy'}`),
    },
  );
  hc.setHosts(hosts, new Set(fresh ? hosts : []));
  return { hc, changes };
}

async function listen(server: Server | ReturnType<typeof createTcpServer>): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

describe('HTTP health check', () => {
  test('a new host is unhealthy until its first pass, and one pass is enough', async (t) => {
    const seen: string[] = [];
    const server = createServer((req, res) => {
      seen.push(`${req.method} ${req.url} ${req.headers.host} ${req.headers['user-agent']}`);
      res.end('ok');
    });
    t.after(() => server.close());
    const host = localHost(await listen(server));
    const { hc } = checker({ http_health_check: { path: '/healthz' }, healthy_threshold: 5 }, [host]);
    t.after(() => hc.close());
    assert.equal(host.failedActiveHealthCheck, true);
    await waitFor(() => !host.failedActiveHealthCheck);
    assert.equal(seen[0], 'GET /healthz inventory Envoy/HC');
  });

  test('the Host header falls back to the endpoint health-check hostname before the cluster name', async (t) => {
    const hostHeaders: string[] = [];
    const server = createServer((req, res) => {
      hostHeaders.push(req.headers.host ?? '');
      res.end();
    });
    t.after(() => server.close());
    const port = await listen(server);
    const host = new UpstreamHost({
      ...localHost(port),
      hostname: 'inventory-0.shop',
      edsHealth: 'HEALTHY',
      priority: 0,
    });
    const { hc } = checker({ http_health_check: { path: '/' } }, [host]);
    t.after(() => hc.close());
    await waitFor(() => hostHeaders.length > 0);
    assert.equal(hostHeaders[0], 'inventory-0.shop');
  });

  test('a 503 marks the host unhealthy at once; it recovers after healthy_threshold passes', async (t) => {
    let status = 200;
    let requests = 0;
    const server = createServer((_req, res) => {
      requests++;
      res.statusCode = status;
      res.end();
    });
    t.after(() => server.close());
    const host = localHost(await listen(server));
    const { hc, changes } = checker({ http_health_check: { path: '/', host: 'svc.local' } }, [host], false);
    t.after(() => hc.close());
    await waitFor(() => requests >= 2);
    assert.equal(host.failedActiveHealthCheck, false);
    status = 503;
    const before = requests;
    await waitFor(() => host.failedActiveHealthCheck);
    assert.equal(requests - before <= 2, true, 'one 503 (plus one in flight) is enough');
    status = 200;
    const failedAt = requests;
    await waitFor(() => !host.failedActiveHealthCheck);
    assert.ok(requests - failedAt >= 2, 'healthy_threshold 2 needs two passes');
    assert.deepEqual(changes, [`${host.port} unhealthy`, `${host.port} healthy`]);
  });

  test('a status in retriable_statuses counts toward unhealthy_threshold instead of failing at once', async (t) => {
    let requests = 0;
    const server = createServer((_req, res) => {
      requests++;
      res.statusCode = 503;
      res.end();
    });
    t.after(() => server.close());
    const host = localHost(await listen(server));
    const config = {
      http_health_check: { path: '/', retriable_statuses: [{ start: 503, end: 504 }] },
      unhealthy_threshold: 3,
    };
    const { hc } = checker(config, [host], false);
    t.after(() => hc.close());
    await waitFor(() => host.failedActiveHealthCheck);
    assert.ok(requests >= 3, `failed after ${requests} checks`);
    assert.equal(hc.stats.networkFailures, 0);
  });

  test('expected_statuses widens what counts as healthy', async (t) => {
    const server = createServer((_req, res) => {
      res.statusCode = 204;
      res.end();
    });
    t.after(() => server.close());
    const host = localHost(await listen(server));
    const { hc } = checker(
      { http_health_check: { path: '/', expected_statuses: [{ start: 200, end: 300 }] } },
      [host],
    );
    t.after(() => hc.close());
    await waitFor(() => !host.failedActiveHealthCheck);
    assert.equal(hc.stats.failures, 0);
  });

  test('codec_client_type HTTP2 checks over cleartext HTTP/2', async (t) => {
    const paths: string[] = [];
    const server = createHttp2Server((req, res) => {
      paths.push(`${req.httpVersion} ${req.url} ${req.headers[':authority']}`);
      res.end();
    });
    t.after(() => server.close());
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const host = localHost((server.address() as AddressInfo).port);
    const { hc } = checker({ http_health_check: { path: '/h2', codec_client_type: 'HTTP2' } }, [host]);
    t.after(() => hc.close());
    await waitFor(() => !host.failedActiveHealthCheck);
    assert.equal(paths[0], '2.0 /h2 inventory');
  });

  test('a host that never answers fails after unhealthy_threshold timeouts', async (t) => {
    const server = createServer(() => {});
    t.after(() => {
      server.closeAllConnections();
      server.close();
    });
    const host = localHost(await listen(server));
    const { hc } = checker({ http_health_check: { path: '/' }, timeout: '0.05s' }, [host], false);
    t.after(() => hc.close());
    await waitFor(() => hc.stats.networkFailures >= 1);
    assert.equal(host.failedActiveHealthCheck, false, 'one timeout is below the threshold of 2');
    await waitFor(() => host.failedActiveHealthCheck);
  });
});

describe('TCP health check', () => {
  test('connect-only: healthy while listening, unhealthy once the server is gone', async (t) => {
    const server = createTcpServer((s) => s.end());
    const port = await listen(server);
    const host = localHost(port);
    const { hc } = checker({ tcp_health_check: {} }, [host]);
    t.after(() => hc.close());
    await waitFor(() => !host.failedActiveHealthCheck);
    server.close();
    await waitFor(() => host.failedActiveHealthCheck);
  });

  test('send/receive: healthy only when the reply holds the expected bytes', async (t) => {
    let reply = 'pong';
    const server = createTcpServer((s) =>
      s.once('data', (d) => s.end(d.toString() === 'ping' ? reply : 'no')),
    );
    t.after(() => server.close());
    const host = localHost(await listen(server));
    const config = {
      tcp_health_check: {
        send: { text: Buffer.from('ping').toString('hex') },
        receive: [{ text: '706f6e67' }],
      },
    };
    const { hc } = checker(config, [host]);
    t.after(() => hc.close());
    await waitFor(() => !host.failedActiveHealthCheck);
    reply = 'pang';
    await waitFor(() => host.failedActiveHealthCheck);
  });
});

describe('gRPC health check', () => {
  test('SERVING is healthy and NOT_SERVING is unhealthy at once', async (t) => {
    let servingStatus = 1;
    const services: string[] = [];
    const server = new grpc.Server();
    server.addService(
      {
        Check: {
          path: '/grpc.health.v1.Health/Check',
          requestStream: false,
          responseStream: false,
          requestSerialize: (b: Buffer) => b,
          requestDeserialize: (b: Buffer) => b,
          responseSerialize: (b: Buffer) => b,
          responseDeserialize: (b: Buffer) => b,
        },
      },
      {
        Check: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
          services.push(call.request.subarray(2).toString());
          cb(null, Buffer.from([0x08, servingStatus]));
        },
      },
    );
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) =>
        e ? reject(e) : resolve(p),
      ),
    );
    t.after(() => server.forceShutdown());
    const host = localHost(port);
    const { hc } = checker({ grpc_health_check: { service_name: 'shop.Inventory' } }, [host]);
    t.after(() => hc.close());
    await waitFor(() => !host.failedActiveHealthCheck);
    assert.equal(services[0], 'shop.Inventory');
    servingStatus = 2;
    await waitFor(() => host.failedActiveHealthCheck);
  });
});

describe('HealthChecker intervals', () => {
  test('edge intervals apply while a transition is pending, then the settled interval', async (t) => {
    let status = 503;
    const server = createServer((_req, res) => {
      res.statusCode = status;
      res.end();
    });
    t.after(() => server.close());
    const host = localHost(await listen(server));
    const clock = new ManualClock();
    const settings = compileHealthCheck('hc', {
      timeout: '1s',
      interval: '10s',
      unhealthy_interval: '5s',
      unhealthy_edge_interval: '1s',
      healthy_edge_interval: '2s',
      unhealthy_threshold: 3,
      healthy_threshold: 2,
      http_health_check: { path: '/', retriable_statuses: [{ start: 503, end: 504 }] },
    });
    const hc = new HealthChecker('c', [settings], clock, Math.random, {
      onCheckResult: () => {},
      onHealthChanged: () => {},
    });
    t.after(() => hc.close());
    hc.setHosts([host], new Set());
    const delays: number[] = [];
    for (let i = 0; i < 5; i++) {
      if (i === 3) status = 200;
      const attempts = hc.stats.attempts;
      clock.advance((clock.nextDueMs() ?? 0) - clock.now());
      await waitFor(() => hc.stats.successes + hc.stats.failures > attempts - 1 && clock.pending() === 1);
      delays.push(clock.nextDueMs()! - clock.now());
    }
    // fail (pending) 1 s, fail (pending) 1 s, fail (now unhealthy) 5 s, pass (pending) 2 s, pass (healthy) 10 s.
    assert.deepEqual(delays, [1000, 1000, 5000, 2000, 10_000]);
    assert.equal(host.failedActiveHealthCheck, false);
  });
});

describe('HealthChecker lifecycle', () => {
  test('whenFirstChecked settles after every host has a first result, pass or fail', async (t) => {
    const server = createServer((_req, res) => {
      res.statusCode = 500;
      res.end();
    });
    t.after(() => server.close());
    const port = await listen(server);
    const hosts = [localHost(port), localHost(port + 1 === 65536 ? 1 : port + 1)];
    const { hc } = checker({ http_health_check: { path: '/' }, interval: '10s' }, hosts);
    t.after(() => hc.close());
    await hc.whenFirstChecked();
    assert.equal(hc.stats.attempts, 2);
    assert.equal(hc.stats.failures, 2);
    assert.ok(hosts.every((h) => h.failedActiveHealthCheck));
  });

  test('a host that leaves the cluster is no longer probed', async (t) => {
    let requests = 0;
    const server = createServer((_req, res) => {
      requests++;
      res.end();
    });
    t.after(() => server.close());
    const host = localHost(await listen(server));
    const { hc } = checker({ http_health_check: { path: '/' } }, [host]);
    t.after(() => hc.close());
    await waitFor(() => requests >= 1);
    hc.setHosts([], new Set());
    await new Promise((r) => setTimeout(r, 60));
    const after = requests;
    await new Promise((r) => setTimeout(r, 80));
    assert.equal(requests, after);
  });
});
