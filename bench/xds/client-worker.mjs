// One share of the simulated sidecars, in its own process so that reading 1,000 responses is not
// one thread's queue (a real proxy reads its config on its own core). Driven by run.mjs over IPC:
//   start { mode, xdsAddress, from, count, services } → synced (every client holds its config)
//   arm { typeUrl, marker } → armed { cpuUs }; then done { arrivals, cpuUs } once every client of
//   this share holds a resource of typeUrl containing marker (arrivals: epoch ms, per client;
//   cpuUs: the process's CPU time so far)
//   close → the clients close and the process exits
const xds = await import('@meshwork/xds');
const { lightClientFactory, lightDeltaClientFactory } = await import('./light-client.mjs');
const { TYPE_URLS } = xds;
const RDS = TYPE_URLS.ROUTE_CONFIGURATION;
const EDS = TYPE_URLS.CLUSTER_LOAD_ASSIGNMENT;
const epochNow = () => performance.timeOrigin + performance.now();
const cpuUs = () => {
  const { user, system } = process.cpuUsage();
  return user + system;
};

let clients = [];
let awaited = null;

function start({ mode, xdsAddress, from, count, services }) {
  const startClient = mode === 'delta' ? lightDeltaClientFactory(xds) : lightClientFactory(xds);
  const metadata = {
    mode: 'sidecar',
    service: 'bench',
    namespace: 'default',
    inbound_port: 15006,
    outbound_port: 15001,
    app_port: 8080,
  };
  for (let i = 0; i < count; i++) {
    const onResponse = (typeUrl, resources) => {
      const a = awaited;
      if (!a || typeUrl !== a.typeUrl || !Number.isNaN(a.arrivals[i])) return;
      for (const any of resources) {
        if (Buffer.from(any.value.buffer, any.value.byteOffset, any.value.byteLength).includes(a.marker)) {
          a.arrivals[i] = epochNow();
          if (++a.seen === count) {
            awaited = null;
            process.send({ type: 'done', arrivals: [...a.arrivals], cpuUs: cpuUs() });
          }
          return;
        }
      }
    };
    const node = { id: `bench-${from + i}`, cluster: 'bench', metadata };
    clients.push(startClient(xdsAddress, node, onResponse));
  }
  const poll = setInterval(() => {
    if (!clients.every((c) => c.count(RDS) > 0 && c.count(EDS) >= services * 3)) return;
    clearInterval(poll);
    process.send({ type: 'synced' });
  }, 20);
}

process.on('message', (msg) => {
  if (msg.type === 'start') start(msg);
  else if (msg.type === 'arm') {
    const arrivals = new Float64Array(clients.length).fill(Number.NaN);
    awaited = { typeUrl: msg.typeUrl, marker: Buffer.from(msg.marker), arrivals, seen: 0 };
    process.send({ type: 'armed', cpuUs: cpuUs() });
  } else if (msg.type === 'close') {
    for (const c of clients) c.close();
    clients = [];
    process.exit(0);
  }
});
// Messages sent before the handler exists would be lost: say when it does.
process.send({ type: 'ready' });
