import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import type { JsonObject } from './codec/from-json.js';

const require = createRequire(import.meta.url);

/** Options of {@link probeProxylessGrpc}. */
export interface ProxylessProbeOptions {
  /** The bootstrap the probe's gRPC runtime reads (see `grpcXdsBootstrap`). */
  bootstrap: JsonObject;
  /** Channel target, e.g. `xds:///inventory`. */
  target: string;
  /** Full gRPC method path, e.g. `/shop.Inventory/Get`. */
  method: string;
  /** Serialised request message (default: empty, which any proto3 request accepts). */
  request?: Uint8Array;
  /** Deadline of the call, including xDS resolution (default 10,000 ms). */
  timeoutMs?: number;
}

/** What a probe call returned: the response bytes, or the gRPC status it failed with. */
export type ProxylessProbeResult =
  | { ok: true; response: Buffer }
  | { ok: false; code: number; details: string };

// Runs in a fresh Node process: grpc-js-xds reads its bootstrap once per process, so a probe
// must not share a process with another xDS bootstrap.
const CHILD = `
const [grpcPath, xdsPath] = JSON.parse(process.env.MESHWORK_PROBE_MODULES);
const grpc = require(grpcPath);
require(xdsPath).register();
const o = JSON.parse(process.env.MESHWORK_PROBE);
const id = (b) => b;
const client = new grpc.Client(o.target, grpc.credentials.createInsecure());
client.makeUnaryRequest(o.method, id, id, Buffer.from(o.request, 'base64'),
  { deadline: Date.now() + o.timeoutMs }, (err, res) => {
    process.stdout.write(JSON.stringify(err ? { ok: false, code: err.code, details: err.details }
      : { ok: true, response: res.toString('base64') }));
    client.close();
    process.exit(0);
  });
`;

/**
 * Makes one unary gRPC call the way a proxyless application would: a fresh process registers
 * `@grpc/grpc-js-xds` with `bootstrap`, dials `target` (resolved through the ADS server the
 * bootstrap names) and calls `method`. Useful to prove a control plane's output to a real xDS
 * client, from tests or a `check` command.
 *
 * @example
 * const result = await probeProxylessGrpc({ bootstrap, target: 'xds:///echo', method: '/test.Echo/Say' });
 */
export function probeProxylessGrpc(options: ProxylessProbeOptions): Promise<ProxylessProbeResult> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const modules = [require.resolve('@grpc/grpc-js'), require.resolve('@grpc/grpc-js-xds')];
  const env = {
    ...process.env,
    GRPC_XDS_BOOTSTRAP: '',
    GRPC_XDS_BOOTSTRAP_CONFIG: JSON.stringify(options.bootstrap),
    MESHWORK_PROBE_MODULES: JSON.stringify(modules),
    MESHWORK_PROBE: JSON.stringify({
      target: options.target,
      method: options.method,
      request: Buffer.from(options.request ?? new Uint8Array(0)).toString('base64'),
      timeoutMs,
    }),
  };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', CHILD], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs + 5_000);
    child.stdout.on('data', (chunk) => (out += chunk));
    child.stderr.on('data', (chunk) => (err += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(killer);
      try {
        const parsed = JSON.parse(out);
        resolve(parsed.ok ? { ok: true, response: Buffer.from(parsed.response, 'base64') } : parsed);
      } catch {
        reject(new Error(`proxyless probe exited with ${code}: ${err.trim() || out.trim() || 'no output'}`));
      }
    });
  });
}
