/**
 * `meshwork proxy --config bootstrap.yaml [--mode sidecar|gateway] [--concurrency N] [--admin-port P]`
 * runs the data plane from an Envoy v3 bootstrap. With `--concurrency N > 1` it forks N worker
 * processes that share the listeners (the kernel spreads connections); the first worker also
 * serves the admin listener. SIGTERM/SIGINT drain: stop accepting, finish in-flight requests,
 * close idle keep-alive connections, then exit.
 */
import cluster from 'node:cluster';
import { loadBootstrap, ProxyConfigError, ProxyServer } from '@meshwork/proxy';

interface ProxyArgs {
  config: string;
  mode: 'sidecar' | 'gateway';
  concurrency: number;
  adminPort: number | undefined;
  drainTimeoutMs: number;
}

const USAGE = `usage: meshwork proxy --config <bootstrap.yaml|json> [options]

options:
  --config <file>        Envoy v3 bootstrap (static_resources, admin, node), YAML or JSON
  --mode <mode>          sidecar | gateway (default sidecar)
  --concurrency <n>      worker processes sharing the listeners (default 1)
  --admin-port <port>    override the bootstrap's admin port
  --drain-timeout <ms>   how long SIGTERM waits for in-flight requests (default 10000)`;

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
  if (out.config === '') return '--config is required';
  return out;
}

async function runOne(args: ProxyArgs, withAdmin: boolean): Promise<number> {
  let proxy: ProxyServer;
  try {
    const bootstrap = await loadBootstrap(args.config);
    proxy = await ProxyServer.start(withAdmin ? bootstrap : { ...bootstrap, admin: null }, {
      mode: args.mode,
      adminPort: withAdmin ? args.adminPort : undefined,
    });
  } catch (err) {
    console.error(
      `meshwork proxy: ${err instanceof ProxyConfigError ? 'invalid configuration: ' : ''}${(err as Error).message}`,
    );
    return 1;
  }
  const listeners = proxy.store.listenerList().map((l) => `${l.config.name}=${l.config.address}:${l.port}`);
  console.error(
    `meshwork proxy (${args.mode}) pid ${process.pid}: listeners ${listeners.join(' ')}${proxy.adminPort ? ` admin=${proxy.adminPort}` : ''}`,
  );
  return new Promise<number>((resolve) => {
    const stop = () => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
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
