/**
 * PostgreSQL implementation of {@link Database} over a `pg` pool; each service lives in its own
 * schema (database-per-service on one server), selected through `search_path`.
 */
import pg from 'pg';
import type { Database, Row, SqlExecutor } from './database.js';

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Opens a pool on `url` whose connections use `schema` (created if missing). */
export async function openPostgres(
  url: string,
  schema: string,
  options: { max?: number } = {},
): Promise<Database> {
  if (!SCHEMA_NAME.test(schema)) throw new TypeError(`postgres schema "${schema}" must match ${SCHEMA_NAME}`);
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    // Replicas start together: IF NOT EXISTS alone races in the catalog, so DDL takes a lock.
    await admin.query('BEGIN');
    await admin.query('SELECT pg_advisory_xact_lock(hashtext($1))', [schema]);
    await admin.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await admin.query('COMMIT');
  } finally {
    await admin.end();
  }
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 5,
    options: `-c search_path=${schema}`,
  });
  const on = (client: pg.Pool | pg.PoolClient): SqlExecutor => ({
    async query<T extends Row>(sql: string, params: readonly unknown[] = []) {
      return (await client.query(sql, params as unknown[])).rows as T[];
    },
    async run(sql: string, params: readonly unknown[] = []) {
      return (await client.query(sql, params as unknown[])).rowCount ?? 0;
    },
  });
  return {
    dialect: 'postgres',
    ...on(pool),
    async exec(sql) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [schema]);
        await client.query(sql);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },
    async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const value = await fn(on(client));
        await client.query('COMMIT');
        return value;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },
    async ping() {
      await pool.query('SELECT 1');
    },
    async close() {
      await pool.end();
    },
  };
}
