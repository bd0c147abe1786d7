/**
 * Starts a shop service: runtime + storage + readiness on the database, closing the database
 * after the drain. `main.ts` of each service is a one-liner over {@link runMain}.
 */
import {
  BadRequestError,
  createLogger,
  createService,
  databaseIndicator,
  type Service,
} from '@meshwork/service';
import type { Database } from '../db/database.js';
import { openDatabase, type StorageOptions } from '../db/open.js';
import { storageFromArgs } from './config.js';

/** Options to start a shop service (tests pass their own env, port and storage). */
export interface ShopServiceOptions {
  env?: NodeJS.ProcessEnv;
  port?: number;
  storage?: StorageOptions;
  /** Database to use instead of opening one (tests sharing a connection). */
  db?: Database;
  handleSignals?: boolean;
  /** Silence logs (tests). */
  quiet?: boolean;
}

/** Wires routes onto a runtime; may register extra shutdown hooks. */
export type Setup = (svc: Service, db: Database, env: NodeJS.ProcessEnv) => Promise<void>;

/**
 * `POST /admin/maintenance {on: boolean}` takes this instance out of rotation without stopping
 * it: readiness turns DOWN, the registry drops the endpoint, traffic goes elsewhere.
 */
function addMaintenanceSwitch(svc: Service): void {
  let on = false;
  svc.health({
    name: 'maintenance',
    check: () => (on ? { status: 'DOWN', details: { maintenance: true } } : { status: 'UP' }),
  });
  svc.router.get('/admin/maintenance', () => ({ on }));
  svc.router.post('/admin/maintenance', async (ctx) => {
    const body = (await ctx.body()) as { on?: unknown } | undefined;
    if (typeof body?.on !== 'boolean')
      throw new BadRequestError('invalid switch', [{ path: '/on', reason: 'must be a boolean' }]);
    on = body.on;
    svc.log.warn({ maintenance: on }, on ? 'entering maintenance' : 'leaving maintenance');
    return { on };
  });
}

/** Creates, wires and starts a shop service; resolves to the running runtime. */
export async function startShopService(
  name: string,
  setup: Setup,
  options: ShopServiceOptions = {},
): Promise<Service> {
  const env = options.env ?? process.env;
  const db = options.db ?? (await openDatabase(options.storage ?? storageFromArgs(name, [], env)));
  const svc = createService({
    name,
    env,
    port: options.port,
    handleSignals: options.handleSignals,
    log: options.quiet ? createLogger({ service: name, instanceId: name, level: 'silent' }) : undefined,
  });
  svc.health(databaseIndicator(() => db.ping()));
  addMaintenanceSwitch(svc);
  if (!options.db) svc.onShutdown(() => db.close());
  await setup(svc, db, env);
  await svc.start();
  return svc;
}

/** Entry point of a service's `main.js`: starts it from argv/env, exits 1 on a startup failure. */
export function runMain(name: string, setup: Setup): void {
  const storage = storageFromArgs(name, process.argv.slice(2));
  startShopService(name, setup, { storage }).catch((err: unknown) => {
    console.error(JSON.stringify({ level: 'fatal', service: name, msg: 'startup failed', err: String(err) }));
    process.exit(1);
  });
}
