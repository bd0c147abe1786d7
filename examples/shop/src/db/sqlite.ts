/**
 * SQLite implementation of {@link Database}: one better-sqlite3 connection in WAL mode with a
 * busy timeout, so several processes (catalog replicas) can share one file.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { Database, Row, SqlExecutor } from './database.js';

interface Compiled {
  sql: string;
  order: number[];
}

const PLACEHOLDER = /\$(\d+)/g;

/** Opens (creating if needed) a SQLite database file. */
export function openSqlite(file: string): Database {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const db = new BetterSqlite3(file);
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('synchronous = NORMAL');
  const compiled = new Map<string, Compiled>();
  // SQLite numbers placeholders differently; `$n` is rewritten to `?` once per statement text.
  const compile = (sql: string): Compiled => {
    let c = compiled.get(sql);
    if (!c) {
      const order: number[] = [];
      const sqlText = sql.replace(PLACEHOLDER, (_m, n: string) => {
        order.push(Number(n) - 1);
        return '?';
      });
      c = { sql: sqlText, order };
      compiled.set(sql, c);
    }
    return c;
  };
  const bind = (c: Compiled, params: readonly unknown[]) => c.order.map((i) => toSqlite(params[i]));
  const executor: SqlExecutor = {
    async query<T extends Row>(sql: string, params: readonly unknown[] = []) {
      const c = compile(sql);
      return db.prepare(c.sql).all(...bind(c, params)) as T[];
    },
    async run(sql: string, params: readonly unknown[] = []) {
      const c = compile(sql);
      return db.prepare(c.sql).run(...bind(c, params)).changes;
    },
  };
  let queue: Promise<unknown> = Promise.resolve();
  return {
    dialect: 'sqlite',
    ...executor,
    async exec(sql) {
      db.exec(sql);
    },
    transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
      // One connection: transactions are serialised so async steps of two never interleave.
      const result = queue.then(async () => {
        db.exec('BEGIN IMMEDIATE');
        try {
          const value = await fn(executor);
          db.exec('COMMIT');
          return value;
        } catch (err) {
          db.exec('ROLLBACK');
          throw err;
        }
      });
      queue = result.catch(() => undefined);
      return result;
    },
    async ping() {
      db.prepare('SELECT 1').get();
    },
    async close() {
      db.close();
    },
  };
}

function toSqlite(value: unknown): unknown {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value === undefined) return null;
  return value;
}
