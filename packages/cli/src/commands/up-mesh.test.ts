/**
 * End to end in mesh mode: `meshwork up --mesh` as a real child process — control plane, a
 * gateway proxy, a sidecar per instance configured over ADS, gRPC proxyless over xDS — then the
 * issue's bars through the gateway proxy: an order confirmed, an order rejected with inventory
 * compensated, a catalog replica killed under traffic, every proxy in sync, and SIGTERM leaving
 * no process and no port behind.
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

describe('meshwork up --mesh (end to end)', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'meshwork-mesh-'));
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
    const ports = ['--gateway-port', '0', '--control-plane-port', '0', '--xds-port', '0'];
    child = spawn(process.execPath, [BIN, 'up', '--mesh', '--plain', ...ports, '--state-dir', stateDir], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
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
      90_000,
      () => `meshwork up --mesh to be ready; output so far:\n${output}`,
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

  test('the control plane, the gateway proxy and a sidecar per instance are up', () => {
    assert.match(output, /shop is up \(mesh\)/);
    const kinds = state.components.map((c) => c.kind);
    assert.deepEqual(
      state.components.filter((c) => c.kind !== 'service').map((c) => c.id),
      ['control-plane', 'proxies'],
      'one process hosts the gateway and the sidecars',
    );
    const sidecars = [
      ...output.matchAll(/^ {2}(\S+) sidecar +http:\/\/127\.0\.0\.1:\d+\/ +\(outbound :\d+\)$/gm),
    ];
    assert.equal(sidecars.length, 9, 'each instance has its own sidecar with its own admin port');
    assert.equal(kinds.filter((k) => k === 'service').length, 9);
    assert.match(output, /gateway admin +http:\/\/127\.0\.0\.1:\d+\//);
  });

  test('an order through the gateway proxy is confirmed, stock decremented and payment recorded', async () => {
    const before = await stock('sku-headset');
    const order = await api('POST', '/api/orders', {
      userId: 'u-ada',
      items: [{ productId: 'sku-headset', quantity: 2 }],
    });
    assert.equal(order.status, 201, JSON.stringify(order.body));
    assert.equal(order.body.status, 'CONFIRMED', JSON.stringify(order.body));
    assert.equal(await stock('sku-headset'), before - 2);
    const payments = await api('GET', `/api/payments?orderId=${order.body.id}`);
    assert.deepEqual(
      payments.body.items.map((p: any) => [p.status, p.amountCents]),
      [['CHARGED', 2 * 7400]],
    );
  });

  test('with payments failing the order is rejected and inventory compensated', async () => {
    assert.equal((await api('POST', '/admin/payments/fail', { mode: 'always' })).status, 200);
    const before = await stock('sku-headset');
    const order = await api('POST', '/api/orders', {
      userId: 'u-ada',
      items: [{ productId: 'sku-headset', quantity: 1 }],
    });
    assert.equal(order.body.status, 'REJECTED');
    assert.match(order.body.reason, /payment declined/);
    assert.equal(await stock('sku-headset'), before);
    await api('POST', '/admin/payments/fail', { mode: 'never' });
  });

  test("a replica that turns not-ready leaves the gateway proxy's endpoints, and comes back", async () => {
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
      20_000,
      () => 'catalog-2 out of EDS',
    );
    await fetch(admin, { method: 'POST', body: JSON.stringify({ on: false }) });
    await until(
      async () => ((await servedBy()).has('catalog-2') ? true : undefined),
      20_000,
      () => 'catalog-2 back in EDS',
    );
  });

  test('a fault on the gRPC hop is applied by the sidecar, and removing it heals orders', async () => {
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
      () => 'an order rejected by the injected fault',
    );
    assert.match(rejected.body.reason, /reserve-inventory failed/);
    await fetch(`${state.controlPlane}/v1/resources/virtualservice/default/inventory-grpc`, {
      method: 'DELETE',
    });
    await until(
      async () => ((await place()).body.status === 'CONFIRMED' ? true : undefined),
      15_000,
      () => 'orders to heal',
    );
  });

  test('killing one catalog replica does not fail requests through the mesh', async () => {
    const victim = state.components.find((c) => c.id === 'catalog-1')!;
    process.kill(victim.pid!, 'SIGKILL');
    for (let i = 0; i < 30; i++) {
      const res = await api('GET', '/api/products');
      assert.equal(res.status, 200, `request ${i}: ${JSON.stringify(res.body)}`);
    }
  });

  test('meshwork status shows every proxy in sync, and no proxyless client next to a sidecar', () => {
    const res = spawnSync(process.execPath, [BIN, 'status', '--state-dir', stateDir], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    assert.equal(res.status, 0, res.stderr);
    for (const proxy of [
      'gateway +gateway',
      'orders-1 +sidecar',
      'catalog-3 +sidecar',
      'inventory-1 +sidecar',
    ]) {
      assert.match(
        res.stdout,
        new RegExp(`${proxy} +\\d+ +\\d+ +\\d+ +\\d+ +ACKED`),
        `${proxy} in:\n${res.stdout}`,
      );
    }
    assert.doesNotMatch(res.stdout, /proxyless/, 'gRPC goes through the sidecars too');
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
  });
});
