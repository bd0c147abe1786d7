/**
 * Per-request cost of the upstream layer: `chooseHost` per policy and `reportOutcome`, in ns/op,
 * with heap growth over the run as an allocation check. Run:
 *   node --expose-gc --conditions=development --import tsx packages/proxy/src/upstream/upstream.bench.ts
 */
import { ManualClock } from './clock.js';
import { ClusterManager } from './cluster-manager.js';
import type { EnvoyJson } from './envoy-json.js';
import { LB_POLICIES } from './load-balancers/load-balancer.js';
import type { LbContext, UpstreamOutcome } from './types.js';

const OPS = 2_000_000;
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

function cluster(name: string, policy: string, hosts: number, extra: EnvoyJson = {}): EnvoyJson {
  return {
    name,
    type: 'STATIC',
    lb_policy: policy,
    load_assignment: {
      cluster_name: name,
      endpoints: [
        {
          lb_endpoints: Array.from({ length: hosts }, (_, i) => ({
            endpoint: {
              address: { socket_address: { address: `10.0.${i >> 8}.${i & 255}`, port_value: 8080 } },
            },
            load_balancing_weight: (i % 3) + 1,
          })),
        },
      ],
    },
    ...extra,
  };
}

function measure(label: string, fn: (i: number) => void): void {
  for (let i = 0; i < 100_000; i++) fn(i);
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  const start = process.hrtime.bigint();
  for (let i = 0; i < OPS; i++) fn(i);
  const ns = Number(process.hrtime.bigint() - start) / OPS;
  const heapKb = (process.memoryUsage().heapUsed - heapBefore) / 1024;
  console.log(`${label.padEnd(44)} ${ns.toFixed(1).padStart(7)} ns/op   heap +${heapKb.toFixed(0)} KiB`);
}

const cm = new ClusterManager({ clock: new ManualClock() });
const clusters: EnvoyJson[] = [];
for (const policy of LB_POLICIES)
  for (const n of [10, 100]) clusters.push(cluster(`${policy}-${n}`, policy, n));
clusters.push(cluster('od', 'ROUND_ROBIN', 10, { outlier_detection: {} }));
cm.applyClusters(clusters);

const empty: LbContext = {};
const hashed: LbContext = { hash: 0 };
for (const policy of LB_POLICIES) {
  for (const n of [10, 100]) {
    const c = cm.get(`${policy}-${n}`)!;
    measure(`chooseHost ${policy} ${n} hosts (weighted)`, () => c.chooseHost(empty));
    if (policy === 'RING_HASH' || policy === 'MAGLEV') {
      measure(`chooseHost ${policy} ${n} hosts, number hash`, (i) => {
        hashed.hash = i;
        c.chooseHost(hashed);
      });
    }
  }
}
const od = cm.get('od')!;
const host = od.hosts()[0];
const ok: UpstreamOutcome = { kind: 'response', status: 200 };
measure('reportOutcome 200 with outlier detection', () => od.reportOutcome(host, ok, 1));
const retry: LbContext = { attemptedHosts: [od.hosts()[0], od.hosts()[1]] };
measure('chooseHost ROUND_ROBIN retry (2 attempted)', () => od.chooseHost(retry));
cm.close();
