/** Readiness checks for components: an HTTP GET that must answer 2xx, or a TCP connect. */
import { connect } from 'node:net';
import { httpCall } from './http.js';

/** How a component proves it is ready. */
export type ReadinessCheck =
  | { http: string }
  | { tcp: { host: string; port: number } }
  | { none: true }
  /** Every check must pass (a process hosting several proxies). */
  | { all: ReadinessCheck[] };

/** One probe attempt; resolves true when ready. Never throws. */
export async function probeOnce(check: ReadinessCheck, timeoutMs = 1000): Promise<boolean> {
  if ('none' in check) return true;
  if ('all' in check)
    return (await Promise.all(check.all.map((c) => probeOnce(c, timeoutMs)))).every(Boolean);
  if ('http' in check) {
    try {
      const res = await httpCall(check.http, { timeoutMs });
      return res.status >= 200 && res.status < 300;
    } catch {
      return false;
    }
  }
  return new Promise((resolve) => {
    const socket = connect(check.tcp.port, check.tcp.host);
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
