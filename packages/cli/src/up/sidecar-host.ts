/**
 * Hosts the mesh proxies of a one-machine mesh — every instance's sidecar and the gateway — in
 * one Node process. Each keeps everything that makes it that proxy — its own listeners, admin
 * port, xDS node identity and ADS stream — but they share one runtime, so the mesh pays Node's
 * baseline memory once instead of once per proxy (the idea of a per-node proxy, as Istio's
 * ambient ztunnel). `meshwork up --sidecars per-instance` runs one `meshwork proxy` process each.
 *
 * Run as `node sidecar-host.js <spec.json>`. SIGUSR2 drains and closes the gateway only (the
 * edge stops first on shutdown); SIGTERM drains everything, then exits 0.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { proxyNode, startXdsProxy, type XdsProxy } from '@meshwork/proxy';

/** One hosted sidecar. */
export interface HostedSidecar {
  nodeId: string;
  service: string;
  namespace: string;
  inboundPort: number;
  outboundPort: number;
  appPort: number;
  adminPort: number;
  labels?: Record<string, string>;
}

/** The hosted gateway proxy (its listeners come from Gateway resources). */
export interface HostedGateway {
  nodeId: string;
  namespace: string;
  adminPort: number;
}

/** What the host runs. */
export interface SidecarHostSpec {
  /** ADS server `host:port`. */
  xds: string;
  sidecars: HostedSidecar[];
  gateway?: HostedGateway;
  /** Drain deadline on SIGTERM; default 10 s. */
  drainTimeoutMs?: number;
}

/** Starts every sidecar of the spec; resolves once each engine runs (configuration may still be on its way). */
export async function startSidecars(spec: SidecarHostSpec): Promise<XdsProxy[]> {
  return Promise.all(
    spec.sidecars.map(async (s) => {
      const node = proxyNode({
        nodeId: s.nodeId,
        service: s.service,
        namespace: s.namespace,
        mode: 'sidecar',
        inboundPort: s.inboundPort,
        outboundPort: s.outboundPort,
        appPort: s.appPort,
        labels: s.labels,
      });
      const running = await startXdsProxy({
        address: spec.xds,
        node,
        mode: 'sidecar',
        adminPort: s.adminPort,
      });
      running.source.on('error', (err: Error) => console.error(`${s.nodeId}.sidecar: ${err.message}`));
      return running;
    }),
  );
}

/** Drains every sidecar (the configuration in force keeps serving the drain), then closes them. */
export async function stopSidecars(running: XdsProxy[], drainTimeoutMs: number): Promise<void> {
  await Promise.all(
    running.map(async ({ proxy, source }) => {
      source.close();
      await proxy.drain(drainTimeoutMs);
      await proxy.close();
    }),
  );
}

/** Starts the hosted gateway. */
export async function startGateway(xds: string, gw: HostedGateway): Promise<XdsProxy> {
  const node = proxyNode({ nodeId: gw.nodeId, service: 'gateway', namespace: gw.namespace, mode: 'gateway' });
  const running = await startXdsProxy({ address: xds, node, mode: 'gateway', adminPort: gw.adminPort });
  running.source.on('error', (err: Error) => console.error(`gateway: ${err.message}`));
  return running;
}

async function main(file: string): Promise<void> {
  const spec = JSON.parse(readFileSync(file, 'utf8')) as SidecarHostSpec;
  const drainMs = spec.drainTimeoutMs ?? 10_000;
  const [sidecars, gateway] = await Promise.all([
    startSidecars(spec),
    spec.gateway ? startGateway(spec.xds, spec.gateway) : undefined,
  ]);
  console.error(
    `proxy host pid ${process.pid}: ${sidecars.length} sidecars${gateway ? ' + gateway' : ''}, xDS ${spec.xds}`,
  );
  let gatewayStopped: Promise<void> | undefined;
  const stopGateway = () => {
    gatewayStopped ??= gateway ? stopSidecars([gateway], drainMs) : Promise.resolve();
    return gatewayStopped;
  };
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    void Promise.all([stopGateway(), stopSidecars(sidecars, drainMs)]).then(() => process.exit(0));
  };
  process.on('SIGUSR2', () => void stopGateway());
  // A supervisor killed outright cannot stop us; being re-parented says it is gone.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) stop();
  }, 1000).unref();
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv[2] ?? '').catch((err: unknown) => {
    console.error(`sidecar host: ${(err as Error).message}`);
    process.exit(1);
  });
}
