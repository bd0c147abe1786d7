/**
 * The timers of a routed request, created only when configured: the route `timeout` (with
 * `grpc-timeout`), the stream idle timeout (refreshed by every body chunk, so it costs a
 * `refresh()` per chunk, not a new timer) and the HCM `request_timeout` for the request body.
 */

/** Who hears the timers fire. */
export interface TimerOwner {
  onRouteTimeout(): void;
  onIdleOrRequestTimeout(idle: boolean): void;
}

/** A request's timers. */
export class RequestTimers {
  private route: NodeJS.Timeout | null = null;
  private idle: NodeJS.Timeout | null = null;
  private request: NodeJS.Timeout | null = null;

  constructor(private readonly owner: TimerOwner) {}

  startRoute(ms: number): void {
    // A static callback with `this` as its argument: no bound function allocated per request.
    if (ms > 0) this.route = setTimeout(fireRoute, ms, this);
  }

  startIdle(ms: number): void {
    if (ms > 0) this.idle = setTimeout(fireIdle, ms, this);
  }

  startRequest(ms: number): void {
    if (ms > 0) this.request = setTimeout(fireRequest, ms, this);
  }

  /** Body bytes moved: the stream is not idle. */
  touch(): void {
    this.idle?.refresh();
  }

  /** The request body is complete. */
  requestDone(): void {
    if (this.request !== null) {
      clearTimeout(this.request);
      this.request = null;
    }
  }

  clear(): void {
    if (this.route !== null) clearTimeout(this.route);
    if (this.idle !== null) clearTimeout(this.idle);
    if (this.request !== null) clearTimeout(this.request);
    this.route = this.idle = this.request = null;
  }

  /** @internal */
  fireRoute(): void {
    this.route = null;
    this.owner.onRouteTimeout();
  }

  /** @internal */
  fireIdle(): void {
    this.idle = null;
    this.owner.onIdleOrRequestTimeout(true);
  }

  /** @internal */
  fireRequest(): void {
    this.request = null;
    this.owner.onIdleOrRequestTimeout(false);
  }
}

function fireRoute(t: RequestTimers): void {
  t.fireRoute();
}

function fireIdle(t: RequestTimers): void {
  t.fireIdle();
}

function fireRequest(t: RequestTimers): void {
  t.fireRequest();
}

/** `grpc-timeout` (e.g. `100m`, `5S`) in milliseconds, -1 when malformed. */
export function parseGrpcTimeout(v: string): number {
  const m = /^(\d{1,8})([HMSmun])$/.exec(v);
  if (m === null) return -1;
  const n = Number(m[1]);
  const unit: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 0.001, n: 0.000001 };
  return Math.ceil(n * unit[m[2]]);
}
