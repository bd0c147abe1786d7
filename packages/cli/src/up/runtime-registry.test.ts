/**
 * The service runtime against the real control plane registry (in-process, ports 0): an
 * instance registers, becomes an endpoint when ready, stops being one when a dependency fails
 * its readiness, is discovered by a proxyless client, and leaves on shutdown.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type ControlPlane, startControlPlane } from '@meshwork/control-plane';
import {
  connect,
  createLogger,
  createService,
  DiscoveryWatcher,
  type HealthIndicator,
  type Service,
} from '@meshwork/service';

const silent = createLogger({ service: 'test', instanceId: 'test', level: 'silent' });

async function until(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('service runtime with the control plane registry', () => {
  let cp: ControlPlane;
  const services: Service[] = [];
  before(async () => {
    cp = await startControlPlane({ restPort: 0, xdsPort: 0, store: 'memory://', log: () => {} });
  });
  after(async () => {
    for (const s of services) await s.stop();
    await cp.close();
  });

  const healthy = async (name: string): Promise<string[]> => {
    const res = await fetch(`${cp.url}/v1/registry/services/${name}/instances?healthy=true`);
    const body = (await res.json()) as { instances: { instanceId: string }[] };
    return body.instances.map((i) => i.instanceId).sort();
  };

  test('readiness gates the endpoint, discovery follows it, and shutdown deregisters', async () => {
    let dependencyUp = true;
    const dependency: HealthIndicator = {
      name: 'payments',
      check: () => (dependencyUp ? { status: 'UP' } : { status: 'DOWN' }),
    };
    for (const id of ['echo-1', 'echo-2']) {
      const svc = createService({
        name: 'echo',
        instanceId: id,
        controlPlane: cp.url,
        readinessIntervalMs: 50,
        deregisterDelayMs: 0,
        handleSignals: false,
        log: silent,
        env: {},
      });
      svc.router.get('/who', () => ({ id }));
      if (id === 'echo-2') svc.health(dependency);
      await svc.start();
      services.push(svc);
    }
    await until(async () => (await healthy('echo')).length === 2, 15_000, 'both instances to be endpoints');

    const watcher = new DiscoveryWatcher({ controlPlane: cp.url, service: 'echo' });
    const client = connect('echo', { env: { MESHWORK_CONTROL_PLANE: cp.url } });
    try {
      await until(() => watcher.endpoints().length === 2, 15_000, 'discovery to see two endpoints');
      const seen = new Set<string>();
      for (let i = 0; i < 4; i++) seen.add((await client.get<{ id: string }>('/who')).id);
      assert.deepEqual([...seen].sort(), ['echo-1', 'echo-2']);

      dependencyUp = false;
      await until(
        async () => (await healthy('echo')).join() === 'echo-1',
        5000,
        'echo-2 to leave the endpoints',
      );
      await until(() => watcher.endpoints().length === 1, 15_000, 'discovery to drop echo-2');
      for (let i = 0; i < 4; i++) assert.equal((await client.get<{ id: string }>('/who')).id, 'echo-1');

      dependencyUp = true;
      await until(async () => (await healthy('echo')).length === 2, 15_000, 'echo-2 to come back');

      await services.shift()!.stop();
      await until(async () => (await healthy('echo')).join() === 'echo-2', 15_000, 'echo-1 to deregister');
      const all = await fetch(`${cp.url}/v1/registry/services/echo/instances`);
      const ids = ((await all.json()) as { instances: { instanceId: string }[] }).instances.map(
        (i) => i.instanceId,
      );
      assert.deepEqual(ids, ['echo-2'], 'deregistered, not merely unhealthy');
    } finally {
      watcher.close();
      await client.close();
    }
  });
});
