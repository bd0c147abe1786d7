/**
 * The proxy host against the real control plane, in process: two sidecars and a gateway share
 * one runtime yet connect as three xDS nodes, each with its own listeners and admin endpoint.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type ControlPlane, startControlPlane } from '@meshwork/control-plane';
import type { XdsProxy } from '@meshwork/proxy';
import { httpCall } from './http.js';
import { PortAllocator } from './ports.js';
import { startGateway, startSidecars, stopSidecars } from './sidecar-host.js';

let cp: ControlPlane;
const running: XdsProxy[] = [];

before(async () => {
  cp = await startControlPlane({
    restPort: 0,
    xdsPort: 0,
    store: 'memory://',
    debounceMs: 10,
    log: () => {},
  });
});
after(async () => {
  await stopSidecars(running, 100);
  await cp.close();
});

async function until(cond: () => Promise<boolean>, what: string): Promise<void> {
  const end = Date.now() + 20_000;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('hosted sidecars and gateway are separate xDS nodes with their own admin endpoints', async () => {
  const ports = await new PortAllocator().allocate(9);
  const sidecar = (n: number, base: number) => ({
    nodeId: `web-${n}`,
    service: 'web',
    namespace: 'default',
    inboundPort: ports[base],
    outboundPort: ports[base + 1],
    appPort: ports[base + 2],
    adminPort: ports[base + 3],
    labels: { app: 'web', version: 'v1' },
  });
  const spec = { xds: cp.xdsAddress, sidecars: [sidecar(1, 0), sidecar(2, 4)] };
  running.push(...(await startSidecars(spec)));
  running.push(
    await startGateway(cp.xdsAddress, { nodeId: 'gateway', namespace: 'default', adminPort: ports[8] }),
  );

  await until(async () => {
    const res = await httpCall(`${cp.url}/v1/proxies`);
    const proxies = (JSON.parse(res.text) as { proxies: { id: string; mode: string }[] }).proxies;
    return ['web-1:sidecar', 'web-2:sidecar', 'gateway:gateway'].every((p) =>
      proxies.some((x) => `${x.id}:${x.mode}` === p),
    );
  }, 'three nodes on the control plane');

  for (const admin of [ports[3], ports[7], ports[8]]) {
    await until(
      async () =>
        (await httpCall(`http://127.0.0.1:${admin}/ready`).catch(() => ({ status: 0 }))).status === 200,
      `admin ${admin} ready`,
    );
  }
  const info = await httpCall(`http://127.0.0.1:${ports[8]}/server_info`);
  assert.match(info.text, /gateway/);
});
