// The control plane under test, in its own process so its CPU and memory are measured alone.
// Prints one JSON line with its addresses, then serves until killed. `/debug/process` reports
// resident memory and CPU time so far. Started by run.mjs.
import { sendJson, startControlPlane } from '@meshwork/control-plane';

const debounceMs = Number(process.env.BENCH_DEBOUNCE_MS ?? 50);
const cp = await startControlPlane({
  restPort: 0,
  xdsPort: 0,
  debounceMs,
  instanceTtlMs: 600_000,
  extraRoutes: [
    {
      method: 'GET',
      path: '/debug/process',
      handler: ({ res }) => {
        const cpu = process.cpuUsage();
        const mem = process.memoryUsage();
        sendJson(res, 200, {
          rssBytes: mem.rss,
          heapUsedBytes: mem.heapUsed,
          cpuUserUs: cpu.user,
          cpuSystemUs: cpu.system,
        });
      },
    },
  ],
});
if (process.env.BENCH_TRACE) trace(cp.xds, cp.api.server);
// BENCH_ALLOC_PROFILE=file.heapprofile samples every allocation, garbage included (open it in the
// Memory tab of Chrome DevTools), to see what the collector spends its time on.
const allocations = process.env.BENCH_ALLOC_PROFILE ? await sampleAllocations() : undefined;
process.stdout.write(`${JSON.stringify({ url: cp.url, xdsAddress: cp.xdsAddress, debounceMs })}\n`);
process.on('SIGTERM', async () => {
  await allocations?.();
  await cp.close();
  process.exit(0);
});

async function sampleAllocations() {
  const { Session } = await import('node:inspector/promises');
  const { writeFileSync } = await import('node:fs');
  const session = new Session();
  session.connect();
  await session.post('HeapProfiler.startSampling', {
    samplingInterval: 16_384,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  return async () => {
    const { profile } = await session.post('HeapProfiler.stopSampling');
    writeFileSync(process.env.BENCH_ALLOC_PROFILE, JSON.stringify(profile));
  };
}

/** Logs to stderr when a change is seen, when its push runs and how long it takes, and ACK arrivals. */
function trace(xds, server) {
  let t0 = 0;
  let acks = 0;
  let requestAt = 0;
  server.on('request', (req) => {
    if (req.method !== 'GET') requestAt = performance.now();
  });
  const onStoreEvent = xds.onStoreEvent.bind(xds);
  xds.onStoreEvent = (e) => {
    t0 = performance.now();
    acks = 0;
    pushes = 0;
    process.stderr.write(`store event ${(t0 - requestAt).toFixed(1)} ms after the request arrived\n`);
    onStoreEvent(e);
  };
  const onRegistryChange = xds.onRegistryChange.bind(xds);
  xds.onRegistryChange = (c) => {
    t0 = performance.now();
    acks = 0;
    pushes = 0;
    process.stderr.write(`registry change ${(t0 - requestAt).toFixed(1)} ms after the request arrived\n`);
    onRegistryChange(c);
  };
  let setMs = 0;
  let snapMs = 0;
  const setSnapshot = xds.ads.setSnapshot.bind(xds.ads);
  xds.ads.setSnapshot = (id, s) => {
    const t = performance.now();
    const r = setSnapshot(id, s);
    setMs += performance.now() - t;
    return r;
  };
  const snapshot = xds.translator.snapshot.bind(xds.translator);
  xds.translator.snapshot = (n) => {
    const t = performance.now();
    const r = snapshot(n);
    snapMs += performance.now() - t;
    return r;
  };
  const push = xds.push.bind(xds);
  xds.push = () => {
    setMs = 0;
    snapMs = 0;
    const t = performance.now();
    push();
    const took = (performance.now() - t).toFixed(1);
    process.stderr.write(
      `push at +${(t - t0).toFixed(1)} ms took ${took} ms (translate ${snapMs.toFixed(1)}, ADS ${setMs.toFixed(1)})\n`,
    );
  };
  let pushes = 0;
  xds.ads.on('push', (e) => {
    pushes++;
    if (pushes === 1 || pushes % 250 === 0)
      process.stderr.write(
        `push #${pushes} ${e.typeUrl.split('.').at(-1)} written at +${(performance.now() - t0).toFixed(1)} ms\n`,
      );
  });
  xds.ads.on('ack', (e) => {
    acks++;
    if (acks === 1 || acks % 100 === 0)
      process.stderr.write(
        `ack #${acks} ${e.typeUrl.split('.').at(-1)} at +${(performance.now() - t0).toFixed(1)} ms\n`,
      );
  });
}
