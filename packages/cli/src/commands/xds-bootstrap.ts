/**
 * `meshwork xds-bootstrap --server 127.0.0.1:15010 --node-id <id> [--namespace ns] [-o file]` —
 * prints the gRPC xDS bootstrap a proxyless `@grpc/grpc-js-xds` application points
 * `GRPC_XDS_BOOTSTRAP` at, so `xds:///<service>` resolves through the control plane.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Command } from '../main.js';

const USAGE = `usage: meshwork xds-bootstrap [--server host:port] [--node-id id] [--namespace ns] [--cluster name] [-o file]

  --server      control plane ADS address (default 127.0.0.1:15010)
  --node-id     the client's node id (default proxyless-<pid>)
  --namespace   namespace the client lives in: short service names resolve there (default "default")
  --cluster     node.cluster, usually the client's own service name
  -o, --output  write to this file instead of stdout`;

/** What {@link xdsBootstrap} needs. */
export interface BootstrapOptions {
  server: string;
  nodeId: string;
  namespace?: string;
  cluster?: string;
}

/**
 * The bootstrap document gRPC's xDS resolver reads: one ADS server over plaintext, speaking xDS v3.
 * `node.metadata` carries no `mode`, which tells the control plane this is a proxyless client.
 */
export function xdsBootstrap(opts: BootstrapOptions): Record<string, unknown> {
  const node: Record<string, unknown> = {
    id: opts.nodeId,
    locality: {},
    metadata: { NAMESPACE: opts.namespace ?? 'default' },
  };
  if (opts.cluster) node.cluster = opts.cluster;
  return {
    xds_servers: [
      { server_uri: opts.server, channel_creds: [{ type: 'insecure' }], server_features: ['xds_v3'] },
    ],
    node,
  };
}

/** The `meshwork xds-bootstrap` verb. */
export const command: Command = {
  summary: 'print a gRPC xDS bootstrap for proxyless clients',
  async run(argv) {
    let values: Record<string, string | boolean | undefined>;
    try {
      ({ values } = parseArgs({
        args: argv,
        options: {
          server: { type: 'string', default: '127.0.0.1:15010' },
          'node-id': { type: 'string' },
          namespace: { type: 'string', default: 'default' },
          cluster: { type: 'string' },
          output: { type: 'string', short: 'o' },
          help: { type: 'boolean', short: 'h' },
        },
      }));
    } catch (err) {
      console.error(`meshwork xds-bootstrap: ${(err as Error).message}\n${USAGE}`);
      return 2;
    }
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    const server = values.server as string;
    if (!/^[^:\s]+:\d{1,5}$/.test(server) && !/^\[[^\]]+\]:\d{1,5}$/.test(server)) {
      console.error(`meshwork xds-bootstrap: --server: "${server}" is not host:port`);
      return 2;
    }
    const text = `${JSON.stringify(
      xdsBootstrap({
        server,
        nodeId: (values['node-id'] as string | undefined) ?? `proxyless-${process.pid}`,
        namespace: values.namespace as string,
        cluster: values.cluster as string | undefined,
      }),
      null,
      2,
    )}\n`;
    if (values.output) writeFileSync(values.output as string, text);
    else process.stdout.write(text);
    return 0;
  },
};
