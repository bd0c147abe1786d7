// Measures the xDS package's costs: proto load, snapshot encoding, per-push response building
// and bootstrap normalisation. Run: node --conditions=development --import tsx packages/xds/bench/measure.ts

import { normalize, TYPE_URLS, XdsSnapshot, xdsProtoLoadMs, xdsRoot } from '../src/index.js';
import { encodeDiscoveryResponse } from '../src/protocol/messages.js';
import { edsCluster, httpListener, loadAssignment } from '../src/test-support.js';

function time(label: string, iterations: number, fn: () => void): void {
  const start = performance.now();
  for (let i = 0; i < iterations; i++) fn();
  const ms = (performance.now() - start) / iterations;
  console.log(`${label}: ${ms < 1 ? `${(ms * 1000).toFixed(1)} µs` : `${ms.toFixed(2)} ms`}`);
}

xdsRoot();
console.log(`proto load (first use): ${xdsProtoLoadMs().toFixed(0)} ms`);

const clusters = Array.from({ length: 1000 }, (_, i) =>
  edsCluster(`svc-${i}`, { lb_policy: 'LEAST_REQUEST' }),
);
const assignments = Array.from({ length: 1000 }, (_, i) => {
  const cla = loadAssignment(`svc-${i}`, 8000) as any;
  cla.endpoints[0].lb_endpoints = Array.from({ length: 10 }, (_, j) => ({
    endpoint: { address: { socket_address: { address: `10.0.${i % 250}.${j}`, port_value: 8080 } } },
  }));
  return cla;
});
const input = {
  lds: { version: '1', resources: [httpListener('http', 8080, 'http.8080')] },
  cds: { version: '1', resources: clusters },
  eds: { version: '1', resources: assignments },
};

time('snapshot of 1000 clusters + 1000 CLAs x 10 endpoints, first encode', 1, () => XdsSnapshot.from(input));
time('same snapshot rebuilt from unchanged objects (cache hits)', 20, () => XdsSnapshot.from(input));
time('the same content as fresh objects (another node, content-cache hits)', 5, () =>
  XdsSnapshot.from({
    cds: { version: '1', resources: clusters.map((c) => ({ ...c })) },
    eds: { version: '1', resources: assignments.map((a) => ({ ...a })) },
  }),
);
const snapshot = XdsSnapshot.from(input);
const cds = snapshot.types.get(TYPE_URLS.CLUSTER)!;
const anys = [...cds.resources.values()].map((r) => r.encodedAny);
let bytes = 0;
time('CDS response of 1000 clusters built from encoded bytes (per stream)', 200, () => {
  bytes = encodeDiscoveryResponse('1', anys, TYPE_URLS.CLUSTER, 'n-1').length;
});
console.log(`CDS response size: ${(bytes / 1024).toFixed(0)} KiB`);
time('normalize one HTTP listener', 2000, () => normalize('lds', httpListener('http', 8080, 'http.8080')));

// Fan-out: one shared snapshot pushed to many SotW streams over loopback, until every ACK.
const { AdsClient, AdsServer } = await import('../src/index.js');
const streams = Number(process.env.STREAMS ?? 50);
const server = new AdsServer();
const port = await server.listen('127.0.0.1:0');
const shared = XdsSnapshot.from({ cds: { version: '1', resources: clusters.slice(0, 200) } });
const clients = Array.from({ length: streams }, (_, i) => {
  server.setSnapshot(`n${i}`, shared);
  return new AdsClient({
    address: `127.0.0.1:${port}`,
    node: { id: `n${i}` },
    wildcardTypes: ['cds'],
  }).start();
});
await Promise.all(clients.map((c) => c.whenSynced()));
const next = XdsSnapshot.from({
  cds: { version: '2', resources: clusters.slice(0, 200).map((c) => ({ ...c, connect_timeout: '2s' })) },
});
let acked = 0;
const done = new Promise<void>((resolve) =>
  server.on('ack', (e) => {
    if (e.version === '2' && ++acked === streams) resolve();
  }),
);
const started = performance.now();
for (let i = 0; i < streams; i++) server.setSnapshot(`n${i}`, next);
const pushedMs = performance.now() - started;
await done;
console.log(
  `push of 200 changed clusters to ${streams} streams: setSnapshot loop ${pushedMs.toFixed(1)} ms, all ACKs after ${(performance.now() - started).toFixed(0)} ms`,
);
for (const c of clients) c.close();
await server.close();
