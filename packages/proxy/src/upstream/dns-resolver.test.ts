import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from './clock.js';
import { compileCluster } from './cluster-config.js';
import { DnsRefresher, systemDnsResolve } from './dns-resolver.js';
import type { HostSpec } from './host.js';
import type { UpstreamEvent } from './upstream-events.js';

const dnsCluster = (type: string, names: string[]) =>
  compileCluster('c', {
    name: 'dns',
    type,
    load_assignment: {
      cluster_name: 'dns',
      endpoints: [
        {
          lb_endpoints: names.map((address) => ({
            endpoint: { address: { socket_address: { address, port_value: 80 } } },
          })),
        },
      ],
    },
  });

test('the system resolver honours the lookup family', async () => {
  assert.deepEqual(await systemDnsResolve('127.0.0.1', 'V4_ONLY'), ['127.0.0.1']);
  const v4 = await systemDnsResolve('localhost', 'V4_ONLY');
  assert.ok(v4.length > 0 && v4.every((a) => !a.includes(':')));
  const preferred = await systemDnsResolve('localhost', 'V4_PREFERRED');
  assert.ok(preferred.every((a) => !a.includes(':')));
});

test('STRICT_DNS: one host per address of every name; a failing name keeps its last answer', async () => {
  const answers = new Map<string, string[] | Error>([
    ['a.internal', ['10.0.0.1', '10.0.0.2']],
    ['b.internal', ['10.0.0.3']],
  ]);
  const clock = new ManualClock();
  const events: UpstreamEvent[] = [];
  let hosts: HostSpec[] = [];
  const refresher = new DnsRefresher(
    dnsCluster('STRICT_DNS', ['a.internal', 'b.internal']),
    async (name) => {
      const answer = answers.get(name)!;
      if (answer instanceof Error) throw answer;
      return answer;
    },
    clock,
    (e) => events.push(e),
    (h) => {
      hosts = h;
    },
  );
  await refresher.ready;
  assert.deepEqual(
    hosts.map((h) => `${h.address} ${h.hostname}`),
    ['10.0.0.1 a.internal', '10.0.0.2 a.internal', '10.0.0.3 b.internal'],
  );
  answers.set('b.internal', new Error('NXDOMAIN'));
  clock.advance(5000);
  await new Promise((r) => setImmediate(r));
  assert.equal(hosts.length, 3);
  assert.ok(events.some((e) => e.type === 'dns_failed' && e.hostname === 'b.internal'));
  refresher.close();
  assert.equal(clock.pending(), 0);
});
