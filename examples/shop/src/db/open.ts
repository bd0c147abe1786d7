/**
 * Chooses the storage of a shop service: `--db postgres://…` or `DATABASE_URL` selects
 * PostgreSQL (schema `shop_<service>`); otherwise a SQLite file `<dataDir>/<service>.db`.
 */
import { join } from 'node:path';
import type { Database } from './database.js';

/** Where a service's data lives. */
export interface StorageOptions {
  service: string;
  /** A `postgres://` URL; wins over the data dir. */
  databaseUrl?: string;
  /** Directory for SQLite files; default `.meshwork/data`. */
  dataDir?: string;
  /** Postgres schema override (tests use a unique one per run). */
  schema?: string;
}

/** Opens the database of one service. */
export async function openDatabase(options: StorageOptions): Promise<Database> {
  if (options.databaseUrl) {
    if (!/^postgres(ql)?:\/\//.test(options.databaseUrl)) {
      throw new TypeError(`--db / DATABASE_URL: "${options.databaseUrl}" is not a postgres:// URL`);
    }
    // Drivers load on demand: a SQLite process never pays for pg, nor a PostgreSQL one for SQLite.
    const { openPostgres } = await import('./postgres.js');
    return openPostgres(options.databaseUrl, options.schema ?? `shop_${options.service.replace(/-/g, '_')}`);
  }
  const { openSqlite } = await import('./sqlite.js');
  return openSqlite(join(options.dataDir ?? '.meshwork/data', `${options.service}.db`));
}
