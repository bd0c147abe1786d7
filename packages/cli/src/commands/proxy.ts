/**
 * `meshwork proxy --config bootstrap.yaml [--mode sidecar|gateway] [--concurrency N] [--admin-port P]`
 * runs the data plane from an Envoy v3 bootstrap; `--xds host:port --node-id … --service …` takes
 * listeners, routes, clusters and endpoints from a control plane over ADS (with or without a
 * bootstrap for static resources). With `--concurrency N > 1` it forks N worker
 * processes that share the listeners (the kernel spreads connections); the first worker also
 * serves the admin listener. SIGTERM/SIGINT drain: stop accepting, finish in-flight requests,
 * close idle keep-alive connections, then exit.
 */
import cluster from 'node:cluster';
import {
  adsAddressOf,
  type Bootstrap,
  loadBootstrap,
  ProxyConfigError,
  type ProxyIdentity,
  ProxyServer,
  proxyNode,
  startXdsProxy,
} from '@meshwork/proxy';

interface ProxyArgs {
  config: string;
  mode: 'sidecar' | 'gateway';
  concurrency: number;
  adminPort: number | undefined;
  drainTimeoutMs: number;
  /** ADS server `host:port` (present only with `--xds`). */
  xds?: string;
  /** Node identity flags (present only when given). */
  node?: Partial<Omit<ProxyIdentity, 'mode'>>;
}

const USAGE = `usage: meshwork proxy --config <bootstrap.yaml|json> [options]

options:
  --config <file>        Envoy v3 bootstrap (static_resources, admin, node), YAML or JSON
  --mode <mode>          sidecar | gateway (default sidecar)
  --concurrency <n>      worker processes sharing the listeners (default 1)
  --admin-port <port>    override the bootstrap's admin port
  --drain-timeout <ms>   how long SIGTERM waits for in-flight requests (default 10000)

xDS (configuration from the control plane over ADS; --config then only adds static resources):
  --xds <host:port>      ADS server (also taken from the bootstrap's dynamic_resources.ads_config)
  --node-id <id>         node.id: the instance id (e.g. orders-1), or gateway
  --service <name>       node.cluster: the service the proxy fronts
  --namespace <ns>       default "default"
  --inbound-port <port>  sidecar: listener other sidecars send to
  --outbound-port <port> sidecar: listener the app sends to (Host: <service>)
  --app-port <port>      sidecar: where the local app listens
  --label <k=v>          workload label (repeatable; Gateway selectors match them)`;

/** Parses argv; returns an error message instead of throwing. */
export function parseProxyArgs(argv: string[]): ProxyArgs | string {
  const out: ProxyArgs = {
    config: '',
    mode: 'sidecar',
    concurrency: 1,
    adminPort: undefined,
    drainTimeoutMs: 10_000,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [flag, inline] = a.includes('=')
      ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]
      : [a, undefined];
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case '--config':
      case '-c':
        out.config = value() ?? '';
        break;
      case '--mode': {
        const m = value();
        if (m !== 'sidecar' && m !== 'gateway') return `--mode must be sidecar or gateway, got "${m}"`;
        out.mode = m;
        break;
      }
      case '--concurrency': {
        const n = Number(value());
        if (!Number.isInteger(n) || n < 1 || n > 256) return '--concurrency must be an integer in [1, 256]';
        out.concurrency = n;
        break;
      }
      case '--admin-port': {
        const n = Number(value());
        if (!Number.isInteger(n) || n < 0 || n > 65535) return '--admin-port must be a port number';
        out.adminPort = n;
        break;
      }
      case '--xds':
        out.xds = value() ?? '';
        if (!/^[^:\s]+:\d+$|^\[[^\]]+\]:\d+$/.test(out.xds))
          return `--xds must be host:port, got "${out.xds}"`;
        break;
      case '--node-id':
      case '--service':
      case '--namespace':
      case '--inbound-port':
      case '--outbound-port':
      case '--app-port':
      case '--label': {
        const problem = setNodeFlag((out.node ??= {}), flag, value());
        if (problem !== undefined) return problem;
        break;
      }
      case '--drain-timeout': {
        const n = Number(value());
        if (!Number.isInteger(n) || n < 0) return '--drain-timeout must be milliseconds';
        out.drainTimeoutMs = n;
        break;
      }
      default:
        return `unknown option "${a}"`;
    }
  }
  if (out.config === '' && out.xds === undefined) return '--config is required';
  return out;
}

const NODE_FLAGS: Record<string, 'nodeId' | 'service' | 'namespace'> = {
  '--node-id': 'nodeId',
  '--service': 'service',
  '--namespace': 'namespace',
};
const PORT_FLAGS: Record<string, 'inboundPort' | 'outboundPort' | 'appPort'> = {
  '--inbound-port': 'inboundPort',
  '--outbound-port': 'outboundPort',
  '--app-port': 'appPort',
};

/** Records one node identity flag; returns a usage error or undefined. */
function setNodeFlag(
  node: NonNullable<ProxyArgs['node']>,
  flag: string,
  v: string | undefined,
): string | undefined {
  if (v === undefined || v === '') return `${flag} needs a value`;
  if (flag === '--label') {
    const eq = v.indexOf('=');
    if (eq <= 0) return `--label must be key=value, got "${v}"`;
    node.labels = { ...node.labels, [v.slice(0, eq)]: v.slice(eq + 1) };
  } else if (flag in PORT_FLAGS) {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1 || n > 65535) return `${flag} must be a port number, got "${v}"`;
    node[PORT_FLAGS[flag]] = n;
  } else node[NODE_FLAGS[flag]] = v;
  return undefined;
}

const NO_BOOTSTRAP: Bootstrap = {
  node: { id: '', cluster: '' },
  listeners: [],
  clusters: [],
  admin: null,
  dynamicResources: null,
};

/** Starts the engine: from the bootstrap alone, or with an ADS source when xDS is configured. */
async function startProxy(
  args: ProxyArgs,
  withAdmin: boolean,
): Promise<{ proxy: ProxyServer; stopSource: () => void; configured: Promise<void> }> {
  const loaded = args.config === '' ? NO_BOOTSTRAP : await loadBootstrap(args.config);
  const bootstrap = withAdmin ? loaded : { ...loaded, admin: null };
  const adminPort = withAdmin ? args.adminPort : undefined;
  const ads = (bootstrap.dynamicResources as { ads_config?: unknown } | null)?.ads_config;
  if (args.xds === undefined && ads === undefined) {
    return {
      proxy: await ProxyServer.start(bootstrap, { mode: args.mode, adminPort }),
      stopSource: () => {},
      configured: Promise.resolve(),
    };
  }
  const flags = args.node ?? {};
  const node = proxyNode({
    ...flags,
    nodeId: flags.nodeId ?? bootstrap.node.id,
    service: flags.service ?? bootstrap.node.cluster,
    mode: args.mode,
  });
  const address = args.xds ?? adsAddressOf(bootstrap);
  const { proxy, source } = await startXdsProxy({
    bootstrap,
    address,
    node,
    mode: args.mode,
    adminPort,
  });
  source.on('rejected', (r) =>
    console.error(`meshwork proxy: rejected ${r.typeUrl} ${r.version}: ${r.error.message}`),
  );
  source.on('error', (err) => console.error(`meshwork proxy: ${err.message}`));
  source.client.on('disconnected', ({ reconnectInMs }) =>
    console.error(
      `meshwork proxy: control plane unreachable, keeping the last configuration; retry in ${reconnectInMs} ms`,
    ),
  );
  console.error(`meshwork proxy (${args.mode}): waiting for configuration from ${address}`);
  return { proxy, stopSource: () => source.close(), configured: source.whenReady() };
}

async function runOne(args: ProxyArgs, withAdmin: boolean): Promise<number> {
  let proxy: ProxyServer;
  let stopSource: () => void;
  let configured: Promise<void>;
  try {
    ({ proxy, stopSource, configured } = await startProxy(args, withAdmin));
  } catch (err) {
    console.error(
      `meshwork proxy: ${err instanceof ProxyConfigError ? 'invalid configuration: ' : ''}${(err as Error).message}`,
    );
    return 1;
  }
  void configured.then(() => {
    const listeners = proxy.store.listenerList().map((l) => `${l.config.name}=${l.config.address}:${l.port}`);
    console.error(
      `meshwork proxy (${args.mode}) pid ${process.pid}: listeners ${listeners.join(' ')}${proxy.adminPort ? ` admin=${proxy.adminPort}` : ''}`,
    );
  });
  return new Promise<number>((resolve) => {
    const stop = () => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      stopSource(); // the configuration in force keeps serving the drain
      void proxy
        .drain(args.drainTimeoutMs)
        .then(() => proxy.close())
        .then(() => {
          // A worker's IPC channel would keep it alive; the primary exits when every worker has.
          cluster.worker?.disconnect();
          resolve(0);
        });
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}

async function runPrimary(args: ProxyArgs): Promise<number> {
  // Workers accept on the shared socket themselves instead of the primary handing out connections.
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  for (let i = 0; i < args.concurrency; i++) cluster.fork({ MESHWORK_PROXY_WORKER: String(i) });
  return new Promise<number>((resolve) => {
    let alive = args.concurrency;
    let failed = false;
    cluster.on('exit', (_w, code) => {
      if (code !== 0) failed = true;
      if (--alive === 0) resolve(failed ? 1 : 0);
    });
    const stop = () => {
      for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}

/** The `proxy` verb. */
export const command = {
  summary: 'run the data-plane proxy from an Envoy v3 bootstrap (sidecar or gateway)',
  async run(argv: string[]): Promise<number> {
    if (argv.includes('--help') || argv.includes('-h')) {
      console.log(USAGE);
      return 0;
    }
    const args = parseProxyArgs(argv);
    if (typeof args === 'string') {
      console.error(`meshwork proxy: ${args}\n\n${USAGE}`);
      return 2;
    }
    if (cluster.isWorker) return runOne(args, process.env.MESHWORK_PROXY_WORKER === '0');
    if (args.concurrency > 1) return runPrimary(args);
    return runOne(args, true);
  },
};
