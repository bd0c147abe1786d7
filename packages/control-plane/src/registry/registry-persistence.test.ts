import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Registry } from './registry.js';
import { persistRegistry } from './registry-persistence.js';

const dir = mkdtempSync(join(tmpdir(), 'registry-persist-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function registryAt(clock: { ms: number }): Registry {
  return new Registry({ now: () => clock.ms, autoSweep: false });
}

test('live instances survive a restart; expired, too old and deregistered ones do not', () => {
  const file = join(dir, 'a', 'registry.json');
  const clock = { ms: 1_000_000 };
  const first = registryAt(clock);
  const p1 = persistRegistry(first, file, { now: () => clock.ms });
  assert.equal(p1.restored, 0, 'nothing saved yet');
  const base = { address: '127.0.0.1', protocol: 'http' as const };
  first.register({
    ...base,
    service: 'orders',
    instanceId: 'orders-1',
    port: 8081,
    sidecarPort: 15001,
    version: 'v2',
    ttlMs: 10_000,
  });
  first.register({ ...base, service: 'orders', instanceId: 'orders-2', port: 8082, ttlMs: 10_000 });
  first.setReady('orders-2', false);
  first.register({ ...base, service: 'pay', instanceId: 'pay-1', port: 8083, ttlMs: 2_000 });
  first.register({ ...base, service: 'pay', instanceId: 'pay-gone', port: 8084, ttlMs: 10_000 });
  first.deregister('pay-gone');
  p1.close();
  first.close();

  clock.ms += 5_000; // pay-1 (2 s TTL) would have expired by now; orders-* would not
  const second = registryAt(clock);
  const p2 = persistRegistry(second, file, { now: () => clock.ms });
  assert.equal(p2.restored, 2);
  const orders1 = second.get('orders-1')!;
  assert.deepEqual(
    [orders1.port, orders1.sidecarPort, orders1.labels.version, orders1.ready],
    [8081, 15001, 'v2', true],
  );
  assert.equal(second.get('orders-2')?.ready, false, 'readiness is kept');
  assert.equal(second.get('pay-1'), undefined);
  assert.equal(second.get('pay-gone'), undefined);
  p2.close();
  second.close();
});

test('an unreadable file is ignored (and reported), not fatal', () => {
  const file = join(dir, 'bad.json');
  writeFileSync(file, '{ not json');
  const logged: string[] = [];
  const registry = registryAt({ ms: 0 });
  const p = persistRegistry(registry, file, { log: (m) => logged.push(m) });
  assert.equal(p.restored, 0);
  assert.match(logged[0], /ignoring unreadable/);
  p.close();
  registry.close();
});
