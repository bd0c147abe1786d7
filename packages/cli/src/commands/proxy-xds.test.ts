/**
 * `meshwork proxy --xds` as `meshwork up` runs it: a child process that announces its identity,
 * takes its whole configuration from an ADS server, reports ready only once configured, serves,
 * and drains to exit code 0 on SIGTERM.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { AdsServer, type ConnectEvent } from '@meshwork/xds';
import { parseProxyArgs } from './proxy.js';

const MAIN = fileURLToPath(new URL('../main.ts', import.meta.url));
const HCM =
  'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const ROUTER = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';

const cleanups: (() => unknown)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

function runCli(args: string[]) {
  const child = spawn(
    process.execPath,
    [
      '--conditions=development',
      '--import',
      'tsx',
      '-e',
      `import(${JSON.stringify(MAIN)}).then((m) => m.main(process.argv.slice(1))).then((c) => process.exit(c))`,
      ...args,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const exited = new Promise<number>((r) => child.on('exit', (code) => r(code ?? -1)));
  cleanups.push(() => child.kill('SIGKILL'));
  return { child, exited, stderr: () => stderr };
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const p = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return p;
}

async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const started = Date.now();
  while (!(await probe().catch(() => false))) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function gatewaySnapshot(listenPort: number, upstreamPort: number) {
  return {
    lds: {
      version: '1',
      resources: [
        {
          name: 'http',
          address: { socket_address: { address: '127.0.0.1', port_value: listenPort } },
          filter_chains: [
            {
              filters: [
                {
                  name: 'envoy.filters.network.http_connection_manager',
                  typed_config: {
                    '@type': HCM,
                    stat_prefix: 'http',
                    rds: { route_config_name: 'http.80', config_source: { ads: {} } },
                    http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': ROUTER } }],
                  },
                },
              ],
            },
          ],
        },
      ],
    },
    rds: {
      version: '1',
      resources: [
        {
          name: 'http.80',
          virtual_hosts: [
            { name: 'all', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'up' } }] },
          ],
        },
      ],
    },
    cds: {
      version: '1',
      resources: [
        { name: 'up', type: 'EDS', connect_timeout: '1s', eds_cluster_config: { eds_config: { ads: {} } } },
      ],
    },
    eds: {
      version: '1',
      resources: [
        {
          cluster_name: 'up',
          endpoints: [
            {
              lb_endpoints: [
                {
                  endpoint: {
                    address: { socket_address: { address: '127.0.0.1', port_value: upstreamPort } },
                  },
                },
              ],
            },
          ],
        },
      ],
    },
  };
}

describe('meshwork proxy --xds', () => {
  test('parses the flags meshwork up passes', () => {
    const args = parseProxyArgs([
      ...['--xds', '127.0.0.1:15010', '--node-id', 'orders-1', '--service', 'orders', '--namespace', 'shop'],
      ...['--mode', 'sidecar', '--inbound-port', '15006', '--outbound-port', '15001', '--app-port', '8080'],
      ...['--admin-port', '15000', '--label', 'app=orders', '--label', 'version=v1'],
    ]);
    assert.deepEqual(args, {
      config: '',
      mode: 'sidecar',
      concurrency: 1,
      adminPort: 15000,
      drainTimeoutMs: 10_000,
      xds: '127.0.0.1:15010',
      node: {
        nodeId: 'orders-1',
        service: 'orders',
        namespace: 'shop',
        inboundPort: 15006,
        outboundPort: 15001,
        appPort: 8080,
        labels: { app: 'orders', version: 'v1' },
      },
    });
    assert.match(String(parseProxyArgs(['--xds', 'nowhere'])), /--xds must be host:port/);
    assert.match(
      String(parseProxyArgs(['--xds', 'h:1', '--inbound-port', '0'])),
      /--inbound-port must be a port/,
    );
    assert.match(String(parseProxyArgs(['--xds', 'h:1', '--label', 'novalue'])), /--label must be key=value/);
  });

  test('a sidecar without its ports exits 1 naming the missing flag', async () => {
    const run = runCli([
      'proxy',
      '--xds',
      '127.0.0.1:1',
      '--node-id',
      'a-1',
      '--service',
      'a',
      '--mode',
      'sidecar',
    ]);
    assert.equal(await run.exited, 1);
    assert.match(
      run.stderr(),
      /invalid configuration: node\.metadata\.inbound_port: a sidecar needs --inbound-port/,
    );
  });

  test('announces its node, is ready once configured, serves, and drains on SIGTERM', async () => {
    const upstream = createServer((_q, res) => res.end('from upstream'));
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    cleanups.push(() => upstream.close());
    const server = new AdsServer();
    const xdsPort = await server.listen('127.0.0.1:0');
    cleanups.push(() => server.close());
    const connected = new Promise<ConnectEvent>((r) => server.once('connect', r));
    const [listen, admin] = [await freePort(), await freePort()];
    const run = runCli([
      ...['proxy', '--xds', `127.0.0.1:${xdsPort}`, '--node-id', 'gateway', '--service', 'gateway'],
      ...['--namespace', 'shop', '--mode', 'gateway', '--admin-port', String(admin), '--label', 'istio=gw'],
    ]);
    const { node } = await connected;
    assert.equal(node.id, 'gateway');
    assert.equal(node.cluster, 'gateway');
    assert.deepEqual(node.metadata, {
      mode: 'gateway',
      service: 'gateway',
      namespace: 'shop',
      labels: { istio: 'gw' },
    });
    await until('admin up', async () => (await fetch(`http://127.0.0.1:${admin}/ready`)).status === 503);
    assert.equal(await (await fetch(`http://127.0.0.1:${admin}/ready`)).text(), 'PRE_INITIALIZING\n');
    server.setSnapshot('gateway', gatewaySnapshot(listen, (upstream.address() as { port: number }).port));
    await until('ready', async () => (await fetch(`http://127.0.0.1:${admin}/ready`)).status === 200);
    assert.equal(await (await fetch(`http://127.0.0.1:${listen}/`)).text(), 'from upstream');
    assert.match(run.stderr(), /listeners http=127\.0\.0\.1:\d+/);
    run.child.kill('SIGTERM');
    assert.equal(await run.exited, 0);
  });
});
