/**
 * Request mirroring (`request_mirror_policies`): a copy of the request goes to another cluster
 * with `-shadow` appended to its host, fire-and-forget. Its response is read and dropped; its
 * failures are counted and never touch the main response.
 */
import type { Socket } from 'node:net';
import { poolFor } from '../http/pools.js';
import type { BodyReader } from '../http/stream.js';
import type { OutboundHead, UpstreamCallbacks, UpstreamConnection } from '../http/upstream-callbacks.js';
import type { Cluster, Host } from '../upstream/types.js';

/** Shadow requests are abandoned after this long. */
const SHADOW_TIMEOUT_MS = 15_000;

/** One mirrored request. */
export class ShadowRequest implements UpstreamCallbacks, BodyReader {
  private conn: UpstreamConnection | null = null;
  private readonly body: Buffer[] = [];
  private bodyDone: boolean;
  private done = false;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly cluster: Cluster,
    private readonly host: Host,
    private readonly head: OutboundHead,
    private readonly bodyLength: number,
    private readonly headRequest: boolean,
  ) {
    this.bodyDone = bodyLength === 0;
    this.timer = setTimeout(this.finish.bind(this), SHADOW_TIMEOUT_MS);
    this.timer.unref();
  }

  /** Starts the mirrored request; returns false when the cluster's limits refuse it. */
  start(): boolean {
    if (!this.cluster.limits.tryAcquireRequest()) return false;
    this.host.activeRequests++;
    poolFor(this.host, this.cluster).acquire(this, false);
    return true;
  }

  onPoolReady(conn: UpstreamConnection): void {
    if (this.done) {
      conn.abort();
      return;
    }
    this.conn = conn;
    conn.send(this, this.head, this.bodyLength, this.headRequest, false);
    for (const b of this.body) conn.writeBody(b);
    this.body.length = 0;
    if (this.bodyDone && this.bodyLength !== 0) conn.endBody();
  }

  onData(chunk: Buffer): void {
    if (this.done) return;
    if (this.conn !== null) this.conn.writeBody(chunk);
    else this.body.push(chunk);
  }

  onEnd(): void {
    this.bodyDone = true;
    if (this.conn !== null && !this.done) this.conn.endBody();
  }

  onResponseHead(status: number, _h: string[], _cl: number, endStream: boolean): void {
    this.cluster.reportOutcome(this.host, { kind: 'response', status }, 0);
    if (endStream) this.finish();
  }

  onResponseData(): void {}

  onResponseEnd(): void {
    this.finish();
  }

  onUpstreamFailure(): void {
    this.conn = null;
    this.finish();
  }

  onUpgrade(socket: Socket): void {
    socket.destroy();
    this.finish();
  }

  onUpstreamDrain(): void {}

  private finish(): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.timer);
    if (!this.bodyDone && this.conn !== null) this.conn.abort();
    this.host.activeRequests--;
    this.cluster.limits.releaseRequest();
  }
}
