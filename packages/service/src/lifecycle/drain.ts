/**
 * Graceful drain of a `node:http` server: stop accepting, let in-flight requests finish up to a
 * deadline, close keep-alive connections as soon as they go idle, then force-close what is left.
 */
import type { Server, ServerResponse } from 'node:http';

/** Result of a drain: how many requests were still running when the deadline forced the close. */
export interface DrainResult {
  /** Requests cut off by the deadline (0 means nothing was lost). */
  abandoned: number;
  elapsedMs: number;
}

/** Counts in-flight requests of a server so a drain knows when it is done. */
export class DrainTracker {
  private readonly responses = new Set<ServerResponse>();
  private draining = false;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly server: Server) {
    server.on('request', (_req, res) => {
      this.responses.add(res);
      // While draining, ask clients not to reuse the connection so keep-alive sockets close.
      if (this.draining) res.shouldKeepAlive = false;
      res.once('close', () => {
        this.responses.delete(res);
        if (this.responses.size === 0) for (const w of this.idleWaiters.splice(0)) w();
        if (this.draining) server.closeIdleConnections();
      });
    });
  }

  /** Requests currently being handled. */
  get active(): number {
    return this.responses.size;
  }

  /**
   * Stops accepting connections and waits for in-flight requests, at most `deadlineMs`; then
   * force-closes every remaining connection.
   */
  async drain(deadlineMs: number): Promise<DrainResult> {
    const startedAt = performance.now();
    this.draining = true;
    for (const res of this.responses) if (!res.headersSent) res.shouldKeepAlive = false;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    let timer: NodeJS.Timeout | undefined;
    const idle =
      this.responses.size === 0
        ? Promise.resolve(true)
        : new Promise<boolean>((r) => this.idleWaiters.push(() => r(true)));
    const deadline = new Promise<boolean>((r) => {
      timer = setTimeout(() => r(false), deadlineMs);
    });
    const finished = await Promise.race([idle, deadline]);
    clearTimeout(timer);
    const abandoned = finished ? 0 : this.responses.size;
    this.server.closeAllConnections();
    await closed;
    return { abandoned, elapsedMs: Math.round(performance.now() - startedAt) };
  }
}
