import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { send, startProxy, staticCluster, type TestProxy } from '../test-support/harness.js';
import { createTestCa } from '../tls/test-support/certs.js';
import {
  client,
  type EchoUpstream,
  startEcho,
  tcpBootstrap,
  tcpFilter,
  until,
} from './test-support/tcp-harness.js';

async function metric(px: TestProxy, line: string): Promise<number> {
  const body = (await send(px.proxy.adminPort, { path: '/stats/prometheus' })).body;
  const hit = body.split('\n').find((l) => l.startsWith(`${line} `));
  return hit === undefined ? 0 : Number(hit.slice(line.length + 1));
}

const deadPort = async (): Promise<number> => {
  const e = await startEcho();
  await e.close();
  return e.port;
};

describe('tcp_proxy: bytes both ways', () => {
  let up: EchoUpstream;
  let px: TestProxy;
  before(async () => {
    up = await startEcho('hello ');
    px = await startProxy(
      tcpBootstrap([{ filters: [tcpFilter({ cluster: 'echo' })] }], [staticCluster('echo', [up.port])]),
    );
  });
  after(async () => {
    await px.close();
    await up.close();
  });

  test('upstream bytes reach the client and client bytes reach the upstream', async () => {
    const c = client(px.port);
    c.socket.write('ping');
    await until(() => c.got.data === 'hello ping', 'echo');
    c.socket.destroy();
  });

  test('megabytes flow through with back-pressure and arrive intact', async () => {
    const payload = randomBytes(4 * 1024 * 1024);
    const c = connect(px.port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let size = 0;
    c.on('data', (d: Buffer) => {
      chunks.push(d);
      size += d.length;
    });
    c.write(payload);
    await until(() => size >= payload.length + 6, 'the whole echo', 20_000);
    assert.ok(Buffer.concat(chunks).subarray(6).equals(payload));
    c.destroy();
    assert.ok(
      (await metric(px, 'envoy_tcp_downstream_cx_rx_bytes_total{envoy_tcp_prefix="tcp"}')) >= payload.length,
    );
    assert.ok(
      (await metric(px, 'envoy_tcp_downstream_cx_tx_bytes_total{envoy_tcp_prefix="tcp"}')) >= payload.length,
    );
  });

  test('a client half-close reaches the upstream, whose answer and FIN still reach the client', async () => {
    const c = client(px.port);
    await c.connected;
    c.socket.end('last words');
    await until(() => c.got.ended, 'FIN from the proxy');
    assert.equal(c.got.data, 'hello last words');
  });

  test('closing the client closes the upstream connection, and the other way round', async () => {
    const n = up.accepted.length;
    const a = client(px.port);
    await until(() => up.accepted.length === n + 1 && a.got.data === 'hello ', 'upstream accept');
    const upstreamSide = up.accepted[n]!;
    let upstreamClosed = false;
    upstreamSide.once('close', () => {
      upstreamClosed = true;
    });
    a.socket.destroy();
    await until(() => upstreamClosed, 'upstream close');

    const b = client(px.port);
    await until(() => up.accepted.length === n + 2 && b.got.data === 'hello ', 'second accept');
    up.accepted[n + 1]!.destroy();
    await until(() => b.got.closed, 'downstream close');
  });

  test('every connection is counted per stat_prefix', async () => {
    const before = await metric(px, 'envoy_tcp_downstream_cx_total{envoy_tcp_prefix="tcp"}');
    const c = client(px.port);
    await until(() => c.got.data === 'hello ', 'greeting');
    c.socket.destroy();
    assert.equal(await metric(px, 'envoy_tcp_downstream_cx_total{envoy_tcp_prefix="tcp"}'), before + 1);
  });
});

describe('tcp_proxy: access log', () => {
  test('access_log writes one entry per connection with bytes, cluster, host and response flag', async () => {
    const up = await startEcho('hello ');
    const stdout = {
      name: 'envoy.access_loggers.stdout',
      typed_config: {
        '@type': 'type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StdoutAccessLog',
      },
    };
    const px = await startProxy(
      tcpBootstrap(
        [{ filters: [tcpFilter({ cluster: 'echo', access_log: [stdout] })] }],
        [staticCluster('echo', [up.port])],
      ),
    );
    try {
      const c = client(px.port);
      c.socket.end('ping');
      await until(() => c.got.closed, 'closed');
      await until(() => px.log.entries.length === 1, 'one entry');
      const e = px.log.entries[0]!;
      assert.equal(e.protocol, 'TCP');
      assert.equal(e.response_flags, '-');
      assert.equal(e.bytes_received, 4);
      assert.equal(e.bytes_sent, 10);
      assert.equal(e.upstream_cluster, 'echo');
      assert.equal(e.upstream_host, `127.0.0.1:${up.port}`);
      assert.match(e.downstream_remote_address, /^127\.0\.0\.1:\d+$/);
    } finally {
      await px.close();
      await up.close();
    }
  });

  test('a connection refused for want of a host is logged with its flag', async () => {
    const stdout = {
      name: 'envoy.access_loggers.stdout',
      typed_config: {
        '@type': 'type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StdoutAccessLog',
      },
    };
    const px = await startProxy(
      tcpBootstrap(
        [{ filters: [tcpFilter({ cluster: 'empty', access_log: [stdout] })] }],
        [staticCluster('empty', [])],
      ),
    );
    try {
      const c = client(px.port);
      await until(() => c.got.closed, 'closed');
      await until(() => px.log.entries.length === 1, 'one entry');
      assert.equal(px.log.entries[0]!.response_flags, 'UH');
    } finally {
      await px.close();
    }
  });
});

describe('tcp_proxy: no upstream', () => {
  test('an unknown cluster closes the connection and counts downstream_cx_no_route', async () => {
    const px = await startProxy(tcpBootstrap([{ filters: [tcpFilter({ cluster: 'nope' })] }], []));
    try {
      const c = client(px.port);
      await until(() => c.got.closed, 'close');
      assert.equal(c.got.data, '');
      assert.equal(await metric(px, 'envoy_tcp_downstream_cx_no_route{envoy_tcp_prefix="tcp"}'), 1);
    } finally {
      await px.close();
    }
  });

  test('a cluster without hosts closes the connection', async () => {
    const px = await startProxy(
      tcpBootstrap([{ filters: [tcpFilter({ cluster: 'empty' })] }], [staticCluster('empty', [])]),
    );
    try {
      const c = client(px.port);
      await until(() => c.got.closed, 'close');
    } finally {
      await px.close();
    }
  });

  test('a refused connect closes the downstream after max_connect_attempts (default 1)', async () => {
    const dead = await deadPort();
    const px = await startProxy(
      tcpBootstrap([{ filters: [tcpFilter({ cluster: 'dead' })] }], [staticCluster('dead', [dead])]),
    );
    try {
      const c = client(px.port);
      await until(() => c.got.closed, 'close');
      assert.equal(await metric(px, 'envoy_cluster_upstream_cx_connect_fail{envoy_cluster_name="dead"}'), 1);
    } finally {
      await px.close();
    }
  });

  test('max_connect_attempts tries another host after a connect failure', async () => {
    const dead = await deadPort();
    const up = await startEcho('alive ');
    const px = await startProxy(
      tcpBootstrap(
        [{ filters: [tcpFilter({ cluster: 'mixed', max_connect_attempts: 2 })] }],
        [staticCluster('mixed', [dead, up.port])],
      ),
    );
    try {
      for (let i = 0; i < 4; i++) {
        const c = client(px.port);
        await until(() => c.got.data === 'alive ' || c.got.closed, 'greeting or close');
        assert.equal(c.got.data, 'alive ', `connection ${i} reached the live host`);
        c.socket.destroy();
      }
      assert.ok(
        (await metric(px, 'envoy_cluster_upstream_cx_connect_fail{envoy_cluster_name="mixed"}')) >= 1,
      );
    } finally {
      await px.close();
      await up.close();
    }
  });
});

describe('tcp_proxy: outlier detection', () => {
  test('connect failures eject the refusing host; later connections all reach the live one', async () => {
    const dead = await deadPort();
    const up = await startEcho('alive ');
    const outlier = {
      outlier_detection: {
        consecutive_5xx: 2,
        interval: '10s',
        base_ejection_time: '30s',
        max_ejection_percent: 100,
      },
    };
    const px = await startProxy(
      tcpBootstrap(
        [{ filters: [tcpFilter({ cluster: 'flaky' })] }],
        [staticCluster('flaky', [dead, up.port], outlier)],
      ),
    );
    try {
      let failures = 0;
      for (let i = 0; i < 6; i++) {
        const c = client(px.port);
        await until(() => c.got.data === 'alive ' || c.got.closed, 'greeting or close');
        if (c.got.data !== 'alive ') failures++;
        c.socket.destroy();
      }
      assert.equal(failures, 2, 'two failures eject the dead host');
      for (let i = 0; i < 4; i++) {
        const c = client(px.port);
        await until(() => c.got.data === 'alive ' || c.got.closed, 'greeting or close');
        assert.equal(c.got.data, 'alive ');
        c.socket.destroy();
      }
    } finally {
      await px.close();
      await up.close();
    }
  });
  test('a successful connect resets the consecutive failures of its host', async () => {
    const flappy = await startEcho('up ');
    const port = flappy.port;
    await flappy.close();
    const outlier = {
      outlier_detection: {
        consecutive_5xx: 2,
        interval: '10s',
        base_ejection_time: '30s',
        max_ejection_percent: 100,
      },
    };
    const px = await startProxy(
      tcpBootstrap(
        [{ filters: [tcpFilter({ cluster: 'flappy' })] }],
        [staticCluster('flappy', [port], outlier)],
      ),
    );
    const ejected = () =>
      metric(px, 'envoy_cluster_outlier_detection_ejections_active{envoy_cluster_name="flappy"}');
    const once = async () => {
      const c = client(px.port);
      await until(() => c.got.data === 'up ' || c.got.closed, 'greeting or close');
      c.socket.destroy();
      return c.got.data === 'up ';
    };
    try {
      assert.equal(await once(), false);
      const back = await startEcho('up ', undefined, port);
      assert.equal(await once(), true);
      await back.close();
      assert.equal(await once(), false);
      assert.equal(await ejected(), 0, 'failure, success, failure: never two in a row');
      assert.equal(await once(), false);
      assert.equal(await ejected(), 1, 'two failures in a row eject');
    } finally {
      await px.close();
    }
  });
});

describe('tcp_proxy: limits and timers', () => {
  test('circuit breaker max_connections refuses (closes) the connection beyond it', async () => {
    const up = await startEcho('hi ');
    const cb = { circuit_breakers: { thresholds: [{ max_connections: 1 }] } };
    const px = await startProxy(
      tcpBootstrap([{ filters: [tcpFilter({ cluster: 'one' })] }], [staticCluster('one', [up.port], cb)]),
    );
    try {
      const first = client(px.port);
      await until(() => first.got.data === 'hi ', 'first connection');
      const second = client(px.port);
      await until(() => second.got.closed, 'second refused');
      assert.equal(second.got.data, '');
      assert.equal(await metric(px, 'envoy_cluster_upstream_cx_overflow{envoy_cluster_name="one"}'), 1);
      assert.equal(await metric(px, 'envoy_cluster_upstream_cx_active{envoy_cluster_name="one"}'), 1);
      first.socket.destroy();
      await until(() => up.accepted.every((s) => s.destroyed), 'slot released');
      const third = client(px.port);
      await until(() => third.got.data === 'hi ', 'third connection after release');
      third.socket.destroy();
    } finally {
      await px.close();
      await up.close();
    }
  });

  test('an open connection counts as one active request on its host (least-request balancing)', async () => {
    const up = await startEcho('hi ');
    const px = await startProxy(
      tcpBootstrap(
        [{ filters: [tcpFilter({ cluster: 'lr' })] }],
        [staticCluster('lr', [up.port], { lb_policy: 'LEAST_REQUEST' })],
      ),
    );
    try {
      const host = px.proxy.store.clusters.get('lr')!.hosts()[0]!;
      const c = client(px.port);
      await until(() => c.got.data === 'hi ', 'connected');
      assert.equal(host.activeRequests, 1);
      c.socket.destroy();
      await until(() => host.activeRequests === 0, 'released on close');
    } finally {
      await px.close();
      await up.close();
    }
  });

  test('idle_timeout closes both sides when no bytes move; "0s" disables it', async () => {
    const up = await startEcho('hi ');
    const px = await startProxy(
      tcpBootstrap(
        [{ filters: [tcpFilter({ cluster: 'echo', idle_timeout: '0.2s' })] }],
        [staticCluster('echo', [up.port])],
      ),
    );
    try {
      const c = client(px.port);
      await until(() => c.got.data === 'hi ', 'greeting');
      await until(() => c.got.closed, 'idle close');
      await until(() => up.accepted.every((s) => s.destroyed), 'upstream closed too');
      assert.equal(await metric(px, 'envoy_tcp_idle_timeout{envoy_tcp_prefix="tcp"}'), 1);
    } finally {
      await px.close();
      await up.close();
    }
  });

  test('weighted_clusters spreads connections over the clusters', async () => {
    const a = await startEcho('a');
    const b = await startEcho('b');
    const px = await startProxy(
      tcpBootstrap(
        [
          {
            filters: [
              tcpFilter({
                weighted_clusters: {
                  clusters: [
                    { name: 'a', weight: 1 },
                    { name: 'b', weight: 1 },
                  ],
                },
              }),
            ],
          },
        ],
        [staticCluster('a', [a.port]), staticCluster('b', [b.port])],
      ),
    );
    try {
      const seen = new Set<string>();
      for (let i = 0; i < 40 && seen.size < 2; i++) {
        const c = client(px.port);
        await until(() => c.got.data.length > 0, 'greeting');
        seen.add(c.got.data);
        c.socket.destroy();
      }
      assert.deepEqual([...seen].sort(), ['a', 'b']);
    } finally {
      await px.close();
      await a.close();
      await b.close();
    }
  });

  test('a cluster with an UpstreamTlsContext gets TLS-originated connections', async () => {
    const ca = createTestCa('tcp-upstream-ca');
    const leaf = ca.issue('backend', ['DNS:backend.internal']);
    const up = await startEcho('secure ', leaf);
    const tls = {
      transport_socket: {
        name: 'envoy.transport_sockets.tls',
        typed_config: {
          '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
          sni: 'backend.internal',
          common_tls_context: { validation_context: { trusted_ca: { inline_string: ca.cert } } },
        },
      },
    };
    const px = await startProxy(
      tcpBootstrap([{ filters: [tcpFilter({ cluster: 'tls' })] }], [staticCluster('tls', [up.port], tls)]),
    );
    try {
      const c = client(px.port);
      c.socket.write('over tls');
      await until(() => c.got.data === 'secure over tls', 'echo over TLS');
      c.socket.destroy();
    } finally {
      await px.close();
      await up.close();
    }
  });
});
