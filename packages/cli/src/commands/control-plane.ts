/**
 * `meshwork control-plane [--rest-port 15080] [--xds-port 15010] [--store memory://|file://…|etcd://…]`
 * — runs `meshd` in the foreground until SIGINT/SIGTERM.
 */
import { parseArgs } from 'node:util';
import { startControlPlane } from '@meshwork/control-plane';
import type { Command } from '../main.js';

const USAGE = `usage: meshwork control-plane [options]

  --host         interface to bind (default 127.0.0.1)
  --rest-port    REST API port (default 15080)
  --xds-port     ADS gRPC port (default 15010)
  --store        memory://, file://<path> or etcd://host:port[?prefix=/meshwork]
                 (default: file://<data-dir>/resources.jsonl, or memory:// without --data-dir)
  --data-dir     directory of the embedded store (default $MESHWORK_DATA_DIR)
  --debounce     push debounce quiet period in ms (default 50)`;

function port(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`--${name}: "${text}" is not a port`);
  return n;
}

/** The `meshwork control-plane` verb. */
export const command: Command = {
  summary: 'run the control plane (REST on 15080, ADS on 15010)',
  async run(argv) {
    let cp: Awaited<ReturnType<typeof startControlPlane>>;
    try {
      const { values } = parseArgs({
        args: argv,
        options: {
          host: { type: 'string' },
          'rest-port': { type: 'string' },
          'xds-port': { type: 'string' },
          store: { type: 'string' },
          'data-dir': { type: 'string' },
          debounce: { type: 'string' },
          help: { type: 'boolean', short: 'h' },
        },
      });
      if (values.help) {
        console.log(USAGE);
        return 0;
      }
      const debounceMs = values.debounce === undefined ? undefined : Number(values.debounce);
      if (debounceMs !== undefined && !(debounceMs >= 0))
        throw new Error(`--debounce: "${values.debounce}" is not a number of ms`);
      cp = await startControlPlane({
        host: values.host,
        restPort: port('rest-port', values['rest-port'], 15080),
        xdsPort: port('xds-port', values['xds-port'], 15010),
        store: values.store,
        dataDir: values['data-dir'] ?? process.env.MESHWORK_DATA_DIR,
        debounceMs,
      });
    } catch (err) {
      console.error(`meshwork control-plane: ${(err as Error).message}`);
      return 1;
    }
    console.log(`control plane: REST ${cp.url}  ADS ${cp.xdsAddress}`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await cp.close();
    return 0;
  },
};
