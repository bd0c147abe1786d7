/**
 * End to end: `meshwork up` as a user runs it (a real child process running the built CLI and
 * the built shop), then an order confirmed, an order rejected with compensation, a catalog
 * replica killed under traffic, and SIGTERM leaving no process and no port behind.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { UpState } from '../up/orchestrator.js';
import { isPortFree } from '../up/ports.js';
import { alive, buildForE2e, until } from '../up/test-support.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const BIN = join(ROOT, 'packages/cli/bin/meshwork.js');

describe('meshwork up (end to end)', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'meshwork-up-'));
  let child: ChildProcess;
  let output = '';
  let state: UpState;
  const readState = (): UpState | undefined => {
    try {
      return JSON.parse(readFileSync(join(stateDir, 'up.json'), 'utf8')) as UpState;
    } catch {
      return undefined;
    }
  };

  before(async () => {
    await buildForE2e(ROOT);
    child = spawn(
      process.execPath,
      [
        BIN,
        'up',
        '--no-mesh',
        '--plain',
        ...['--gateway-port', '0', '--control-plane-port', '0', '--xds-port', '0'],
        '--state-dir',
        stateDir,
      ],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    child.stdout!.on('data', (c) => {
      output += c;
    });
    child.stderr!.on('data', (c) => {
      output += c;
    });
    state = await until(
      () => {
        const s = readState();
        return s?.readyInMs !== undefined ? s : undefined;
      },
      60_000,
      `meshwork up to be ready; output so far:\n${output}`,
    );
    // The state file says ready; the summary printed just before it may still be in the pipe.
    await until(
      () => (output.includes('Ctrl-C stops everything') ? true : undefined),
      10_000,
      () => `the summary; output so far:\n${output}`,
    );
  });
  after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(stateDir, { recursive: true, force: true });
  });

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(state.gateway + path, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  const stock = async (sku: string) => (await api('GET', `/api/inventory/${sku}`)).body.available as number;

  test('prints progress, the gateway URL and curl lines to try', () => {
    assert.match(output, /orders-1 ready/);
    assert.match(output, /shop is up \(proxyless\)/);
    assert.ok(output.includes(`gateway            ${state.gateway}`));
    assert.ok(output.includes(`curl -s ${state.gateway}/api/products`));
    assert.equal(state.components.length, 10, 'control plane + 9 service instances');
    assert.ok(output.includes(`control plane API  ${state.controlPlane}`));
  });

  test('an order through the gateway is confirmed, stock decremented and payment recorded', async () => {
    const before = await stock('sku-webcam');
    const order = await api('POST', '/api/orders', {
      userId: 'u-grace',
      items: [{ productId: 'sku-webcam', quantity: 3 }],
    });
    assert.equal(order.status, 201);
    assert.equal(order.body.status, 'CONFIRMED');
    assert.equal(await stock('sku-webcam'), before - 3);
    const payments = await api('GET', `/api/payments?orderId=${order.body.id}`);
    assert.deepEqual(
      payments.body.items.map((p: any) => [p.status, p.amountCents]),
      [['CHARGED', 3 * 5900]],
    );
  });

  test('with payments failing the order is rejected and inventory compensated', async () => {
    assert.equal((await api('POST', '/admin/payments/fail', { mode: 'always' })).status, 200);
    const before = await stock('sku-webcam');
    const order = await api('POST', '/api/orders', {
      userId: 'u-grace',
      items: [{ productId: 'sku-webcam', quantity: 1 }],
    });
    assert.equal(order.body.status, 'REJECTED');
    assert.match(order.body.reason, /payment declined/);
    assert.equal(await stock('sku-webcam'), before);
    await api('POST', '/admin/payments/fail', { mode: 'never' });
  });

  test('a fault pushed over xDS reaches the proxyless gRPC hop, and removing it heals orders', async () => {
    const fault = readFileSync(join(ROOT, 'examples/shop/mesh/toggles/inventory-grpc-fault.yaml'), 'utf8');
    const applied = await fetch(`${state.controlPlane}/v1/resources`, {
      method: 'POST',
      headers: { 'content-type': 'application/yaml' },
      body: fault,
    });
    assert.equal(applied.status, 200);
    const place = () =>
      api('POST', '/api/orders', { userId: 'u-ada', items: [{ productId: 'sku-mouse', quantity: 1 }] });
    const rejected = await until(
      async () => {
        const o = await place();
        return o.body.status === 'REJECTED' ? o : undefined;
      },
      15_000,
      'an order rejected by the injected fault',
    );
    assert.match(rejected.body.reason, /reserve-inventory failed/);
    const removed = await fetch(`${state.controlPlane}/v1/resources/virtualservice/default/inventory-grpc`, {
      method: 'DELETE',
    });
    assert.ok(removed.status < 300);
    await until(
      async () => ((await place()).body.status === 'CONFIRMED' ? true : undefined),
      15_000,
      'orders to heal',
    );
  });

  test('a replica in maintenance leaves the registry and gets no traffic until it is back', async () => {
    const replica = state.components.find((c) => c.id === 'catalog-2')!;
    const admin = `http://127.0.0.1:${replica.ports.app}/admin/maintenance`;
    const servedBy = async () => {
      const seen = new Set<string>();
      for (let i = 0; i < 12; i++)
        seen.add((await fetch(`${state.gateway}/api/products`)).headers.get('x-served-by')!);
      return seen;
    };
    await fetch(admin, { method: 'POST', body: JSON.stringify({ on: true }) });
    await until(
      async () => ((await servedBy()).has('catalog-2') ? undefined : true),
      15_000,
      'catalog-2 out of rotation',
    );
    await fetch(admin, { method: 'POST', body: JSON.stringify({ on: false }) });
    await until(
      async () => ((await servedBy()).has('catalog-2') ? true : undefined),
      15_000,
      'catalog-2 back in rotation',
    );
  });

  test('killing one catalog replica does not fail requests, and it is restarted', async () => {
    const victim = state.components.find((c) => c.id === 'catalog-1')!;
    process.kill(victim.pid!, 'SIGKILL');
    for (let i = 0; i < 30; i++) {
      const res = await api('GET', '/api/products');
      assert.equal(res.status, 200, `request ${i}: ${JSON.stringify(res.body)}`);
    }
    await until(
      () =>
        readState()?.components.find((c) => c.id === 'catalog-1' && c.state === 'ready' && c.restarts >= 1)
          ? true
          : undefined,
      15_000,
      'catalog-1 to be restarted',
    );
    assert.match(output, /catalog-1 exited \(signal SIGKILL\); restarting in \d+ ms/);
  });

  test('with the control plane killed, orders keep flowing; restarted, it gets every instance back', async () => {
    const cp = readState()!.components.find((c) => c.id === 'control-plane')!;
    process.kill(cp.pid!, 'SIGKILL');
    const order = await api('POST', '/api/orders', {
      userId: 'u-ada',
      items: [{ productId: 'sku-lamp', quantity: 1 }],
    });
    assert.equal(order.body.status, 'CONFIRMED', 'last known endpoints and xDS config keep serving');
    // The restarted control plane restores the live instances it saved; any it lost (a 404 on the
    // heartbeat) register again, and heartbeats restate readiness, so every instance is back.
    await until(
      async () => {
        try {
          const res = await fetch(`${state.controlPlane}/v1/registry/services`);
          const body = (await res.json()) as { services: { healthy: number }[] };
          const healthy = body.services.reduce((n, s) => n + s.healthy, 0);
          return healthy === 10 ? true : undefined;
        } catch {
          return undefined;
        }
      },
      20_000,
      'all 10 registrations (9 instances + inventory-grpc) back',
    );
    // The proxyless gRPC client resynchronises with the new control plane too.
    await until(
      async () => {
        try {
          const res = await fetch(`${state.controlPlane}/v1/proxies`);
          const body = (await res.json()) as { proxies: { id: string }[] };
          return body.proxies.some((p) => p.id === 'orders-1') ? true : undefined;
        } catch {
          return undefined;
        }
      },
      45_000,
      'orders-1 to reconnect over xDS',
    );
  });

  test('meshwork status shows the processes and the registry with every instance healthy', async () => {
    const res = spawnSync(process.execPath, [BIN, 'status', '--state-dir', stateDir], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    assert.equal(res.status, 0, res.stderr);
    assert.match(res.stdout, /shop \(proxyless\)/);
    for (const id of ['catalog-2', 'catalog-3', 'orders-1', 'inventory-1-grpc']) {
      assert.match(
        res.stdout,
        new RegExp(`${id} +127\\.0\\.0\\.1:\\d+ +HEALTHY`),
        `${id} in:\n${res.stdout}`,
      );
    }
    // orders reaches inventory-grpc as a proxyless xDS client of the control plane.
    assert.match(res.stdout, /orders-1 +proxyless +\d+ +\d+ +\d+ +\d+ +ACKED/, res.stdout);
  });

  test('SIGTERM stops every process and frees every port', async () => {
    const latest = readState()!;
    const pids = latest.components.map((c) => c.pid).filter((p): p is number => p !== undefined);
    const ports = [
      ...latest.components.flatMap((c) => Object.values(c.ports)),
      Number(new URL(latest.gateway).port),
    ];
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    for (const pid of pids) assert.equal(alive(pid), false, `pid ${pid} still alive`);
    for (const port of ports) assert.equal(await isPortFree(port), true, `port ${port} still bound`);
    assert.equal(existsSync(join(stateDir, 'up.json')), false);
    // Each service drained and exited 0 on its own; nothing needed SIGKILL.
    for (const id of ['orders-1', 'payments-1', 'catalog-2']) {
      const log = readFileSync(join(stateDir, 'logs', `${id}.log`), 'utf8');
      assert.match(log, /"msg":"drained"/, `${id} drained`);
      assert.match(log, /exited \(code 0, signal null\)\s*$/, `${id} exited 0`);
    }
    assert.match(output, /control-plane stopped/);
    assert.ok(output.indexOf('control-plane stopping') > output.indexOf('orders-1 stopped'), 'reverse order');
  });
});
