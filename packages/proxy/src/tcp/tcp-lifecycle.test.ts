import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { startProxy, staticCluster } from '../test-support/harness.js';
import { client, fdCount, startEcho, tcpBootstrap, tcpFilter, until } from './test-support/tcp-harness.js';

function tcpListener(cluster: string): Record<string, unknown> {
  const b = tcpBootstrap([{ filters: [tcpFilter({ cluster })] }], []) as {
    static_resources: { listeners: Record<string, unknown>[] };
  };
  return b.static_resources.listeners[0]!;
}

describe('tcp_proxy lifecycle', () => {
  test('an LDS update of the chain sends new connections to the new cluster and keeps open ones', async () => {
    const a = await startEcho('A:');
    const b = await startEcho('B:');
    const px = await startProxy(
      tcpBootstrap(
        [{ filters: [tcpFilter({ cluster: 'a' })] }],
        [staticCluster('a', [a.port]), staticCluster('b', [b.port])],
      ),
    );
    try {
      const old = client(px.port);
      await until(() => old.got.data === 'A:', 'first connection on a');
      await px.proxy.store.applyListeners([tcpListener('b')], 'v2');
      const fresh = client(px.port);
      await until(() => fresh.got.data === 'B:', 'new connection on b');
      old.socket.write('still here');
      await until(() => old.got.data === 'A:still here', 'old connection keeps flowing');
      assert.equal(old.got.closed, false);
      old.socket.destroy();
      fresh.socket.destroy();
    } finally {
      await px.close();
      await a.close();
      await b.close();
    }
  });

  test('drain stops accepting, lets open connections run, and closes them at the drain timeout', async () => {
    const up = await startEcho('A:');
    const px = await startProxy(
      tcpBootstrap([{ filters: [tcpFilter({ cluster: 'a' })] }], [staticCluster('a', [up.port])]),
    );
    try {
      const c = client(px.port);
      await until(() => c.got.data === 'A:', 'connected');
      const listener = px.proxy.store.listenerList()[0]!;
      const drained = listener.drain(300);
      c.socket.write('during drain');
      await until(() => c.got.data === 'A:during drain', 'bytes still flow while draining');
      await drained;
      await until(() => c.got.closed, 'closed at the drain timeout');
      assert.equal(listener.connectionCount, 0);
    } finally {
      await px.close();
      await up.close();
    }
  });

  test('many connections opened and closed every way leave no socket behind', async () => {
    const up = await startEcho('A:');
    const dead = await startEcho();
    await dead.close();
    const px = await startProxy(
      tcpBootstrap(
        [{ filters: [tcpFilter({ cluster: 'a' })] }],
        [staticCluster('a', [up.port]), staticCluster('dead', [dead.port])],
      ),
    );
    const other = await startProxy(
      tcpBootstrap([{ filters: [tcpFilter({ cluster: 'dead' })] }], [staticCluster('dead', [dead.port])]),
    );
    try {
      const baseline = fdCount();
      const runs: Promise<void>[] = [];
      for (let i = 0; i < 120; i++) {
        const c = client(i % 6 === 5 ? other.port : px.port);
        runs.push(
          (async () => {
            await c.connected;
            if (i % 3 === 0) c.socket.end('bye');
            else if (i % 3 === 1) {
              c.socket.write('x'.repeat(10_000));
              c.socket.destroy();
            } else c.socket.resetAndDestroy();
            await until(() => c.got.closed, `client ${i} closed`, 10_000);
          })(),
        );
      }
      await Promise.all(runs);
      const listeners = [px, other].map((p) => p.proxy.store.listenerList()[0]!);
      await until(
        () =>
          listeners.every((l) => l.connectionCount === 0) &&
          up.accepted.every((s) => s.destroyed) &&
          fdCount() <= baseline + 2,
        'connections and fds back to baseline',
        10_000,
      );
      assert.ok(fdCount() <= baseline + 2, `fds ${fdCount()} vs baseline ${baseline}`);
      const c = client(px.port);
      await until(() => c.got.data === 'A:', 'still serving');
      c.socket.destroy();
    } finally {
      await px.close();
      await other.close();
      await up.close();
    }
  });
});
