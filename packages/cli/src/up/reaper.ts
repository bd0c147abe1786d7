/**
 * Cleans up after a `meshwork up` that was killed outright (SIGKILL, OOM): its children may
 * still hold the ports. Every child carries `MESHWORK_UP=<data dir>` in its environment, so a
 * pid from the stale state file is only signalled when `/proc/<pid>/environ` proves it is ours —
 * a recycled pid belonging to something else is never touched.
 */
import { readFileSync } from 'node:fs';

/** The environment variable marking a process as started by the `meshwork up` owning `dataDir`. */
export const OWNER_ENV = 'MESHWORK_UP';

/** True when `pid` runs with `MESHWORK_UP=<dataDir>`. */
export function isOurs(pid: number, dataDir: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(`${OWNER_ENV}=${dataDir}`);
  } catch {
    return false;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // Gone.
    }
  }
}

/** Stops the leftover children of a dead `meshwork up`: SIGTERM, then SIGKILL after `graceMs`. Returns the pids reaped. */
export async function reapLeftovers(
  pids: readonly number[],
  dataDir: string,
  graceMs = 5000,
): Promise<number[]> {
  const ours = pids.filter((pid) => pid > 1 && pid !== process.pid && isOurs(pid, dataDir));
  for (const pid of ours) signalGroup(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (ours.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  for (const pid of ours.filter(alive)) signalGroup(pid, 'SIGKILL');
  return ours;
}
