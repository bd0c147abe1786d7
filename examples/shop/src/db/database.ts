/**
 * The one storage port every shop repository is written against: portable SQL with `$1`-style
 * placeholders, run on SQLite (better-sqlite3, WAL; the default) or PostgreSQL (pg).
 */

/** A row as the driver returns it. */
export type Row = Record<string, unknown>;

/** Queries available inside and outside transactions. */
export interface SqlExecutor {
  /** Runs a query and returns its rows. */
  query<T extends Row = Row>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** Runs a statement and returns the number of rows it changed. */
  run(sql: string, params?: readonly unknown[]): Promise<number>;
}

/** A database connection (pool) for one service. */
export interface Database extends SqlExecutor {
  /** `sqlite` or `postgres`. */
  readonly dialect: 'sqlite' | 'postgres';
  /** Runs DDL (several statements separated by `;`). */
  exec(sql: string): Promise<void>;
  /** Runs `fn` in a transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /** Cheap liveness query (`SELECT 1`) for the readiness probe. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
