/** Helpers shared by the health-checking tests (not exported from the package). */
import { UpstreamHost } from '../host.js';

/** A host at 127.0.0.1:`port`. */
export function localHost(port: number): UpstreamHost {
  return new UpstreamHost({
    address: '127.0.0.1',
    port,
    weight: 1,
    labels: {},
    edsHealth: 'HEALTHY',
    priority: 0,
  });
}

/** Polls `condition` every 5 ms until it holds, failing after `timeoutMs`. */
export async function waitFor(condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
