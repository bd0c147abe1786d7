/**
 * Shared by the end-to-end tests of `meshwork up`: bring the built JavaScript up to date before
 * starting the CLI as a user would. Test files run concurrently, so the build is serialised with
 * a lock directory (mkdir is atomic) to keep two `tsc -b` runs from writing the same files.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const LOCK = join(tmpdir(), 'meshwork-e2e-build.lock');
const STALE_LOCK_MS = 180_000;

/** Runs `tsc -b examples/shop packages/cli` under the lock, then checks the entry points exist. */
export async function buildForE2e(root: string): Promise<void> {
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch {
      // Someone else is building; a lock left by a killed run goes stale.
      if (existsSync(LOCK) && Date.now() - statSync(LOCK).mtimeMs > STALE_LOCK_MS)
        rmSync(LOCK, { force: true, recursive: true });
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    // Incremental: a no-op when dist is current. Other packages' type errors do not stop emit.
    spawnSync(
      process.execPath,
      [join(root, 'node_modules/typescript/bin/tsc'), '-b', 'examples/shop', 'packages/cli'],
      {
        cwd: root,
        stdio: 'ignore',
      },
    );
  } finally {
    rmSync(LOCK, { force: true, recursive: true });
  }
  for (const f of [
    'packages/cli/dist/commands/up.js',
    'packages/cli/dist/up/sidecar-host.js',
    'examples/shop/dist/orders/main.js',
  ]) {
    if (!existsSync(join(root, f))) throw new Error(`${f} missing after build`);
  }
}

/** Whether a process with this pid exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Polls `fn` every 100 ms until it returns a value, or fails naming `what` after `timeoutMs`. */
export async function until<T>(
  fn: () => T | undefined | Promise<T | undefined>,
  timeoutMs: number,
  what: string | (() => string),
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end)
      throw new Error(`timed out waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
