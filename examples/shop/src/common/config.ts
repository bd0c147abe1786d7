/**
 * Settings every shop service reads at start: storage (`--db postgres://…` / `DATABASE_URL`,
 * `--data-dir` / `MESHWORK_DATA_DIR`) and the environment `meshwork up` provides.
 */
import type { StorageOptions } from '../db/open.js';

/** Parses `--db <url>` / `--db=<url>` and `--data-dir <dir>` from argv, falling back to env. */
export function storageFromArgs(
  service: string,
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
): StorageOptions {
  const flag = (name: string): string | undefined => {
    for (let i = 0; i < argv.length; i++) {
      if (argv[i] === name) return argv[i + 1];
      if (argv[i].startsWith(`${name}=`)) return argv[i].slice(name.length + 1);
    }
    return undefined;
  };
  return {
    service,
    databaseUrl: flag('--db') ?? env.DATABASE_URL,
    dataDir: flag('--data-dir') ?? env.MESHWORK_DATA_DIR ?? '.meshwork/data',
  };
}

/** Generates a sortable, unique id with a prefix (`ord_…`). */
export function newId(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 10)}`;
}
