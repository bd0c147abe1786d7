import type { Clock, TimerHandle } from './clock.js';
import { type ExecutionContext, ROOT_CONTEXT } from './context.js';
import { AbortedError } from './errors.js';

/**
 * Waits `ms` on `clock`, rejecting with `AbortedError` (code `MESH_ERR_ABORTED`) as soon as
 * `context` is aborted. Only used on slow paths (backoff, limiter waits), so it may allocate.
 */
export function sleep(clock: Clock, ms: number, context: ExecutionContext): Promise<void> {
  if (context.aborted) return Promise.reject(new AbortedError(context.abortReason));
  if (ms <= 0) return Promise.resolve();
  // The shared root never aborts: a plain timer suffices and no listener piles onto its signal.
  if (context === ROOT_CONTEXT) return new Promise((resolve) => clock.setTimeout(resolve, ms));
  return new Promise((resolve, reject) => {
    const signal = context.signal;
    let handle: TimerHandle;
    const onAbort = () => {
      clock.clearTimeout(handle);
      reject(new AbortedError(signal.reason));
    };
    handle = clock.setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
