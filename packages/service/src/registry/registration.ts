/**
 * Registration of one instance with the control plane's registry: register on start (retrying
 * with backoff while the control plane is down — the service keeps serving meanwhile),
 * heartbeat every TTL/3, re-register when a heartbeat gets 404, report readiness changes, and
 * deregister on shutdown.
 */
import type { Logger } from 'pino';
import { RegistryError } from '../errors.js';
import { type HttpAnswer, httpRequest } from '../http/http-json.js';

/** The body of `POST /v1/registry/instances`. */
export interface InstanceRegistration {
  service: string;
  namespace?: string;
  instanceId?: string;
  address: string;
  port: number;
  sidecarPort?: number;
  protocol: 'http' | 'grpc';
  version?: string;
  labels?: Record<string, string>;
  serviceAccount?: string;
  healthCheck?: {
    type: 'http' | 'tcp' | 'grpc';
    path?: string;
    port?: number;
    intervalMs?: number;
    timeoutMs?: number;
    healthyThreshold?: number;
    unhealthyThreshold?: number;
  };
  ttlMs?: number;
}

/** Options of {@link RegistryClient}. */
export interface RegistryClientOptions {
  /** Control plane base URL, e.g. `http://127.0.0.1:15080`. */
  controlPlane: string;
  registration: InstanceRegistration;
  log: Logger;
  /** First retry delay after a failed registration; doubles up to `maxBackoffMs`. Default 250. */
  initialBackoffMs?: number;
  /** Default 5000. */
  maxBackoffMs?: number;
  /** Per-call timeout; default 2000. */
  requestTimeoutMs?: number;
}

/** Keeps one instance registered for as long as it runs. */
export class RegistryClient {
  private instanceId: string | undefined;
  private ttlMs = 10_000;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Settles when the registration request in flight has been answered (or failed). */
  private registering: Promise<void> | undefined;
  /** Last readiness reported by the runtime; undefined until the first report. */
  private ready: boolean | undefined;
  private failures = 0;
  private readonly base: string;

  constructor(private readonly options: RegistryClientOptions) {
    this.base = options.controlPlane.replace(/\/+$/, '');
  }

  /** The id the registry assigned (or accepted), once registered. */
  get id(): string | undefined {
    return this.instanceId;
  }

  /** Starts registering in the background; never throws (failures are retried with backoff). */
  start(): void {
    this.stopped = false;
    void this.registerLoop();
  }

  /** Reports readiness; sent now when registered, and re-sent after every (re-)registration. */
  async setReady(ready: boolean): Promise<void> {
    this.ready = ready;
    if (!this.instanceId) return;
    try {
      await this.call('PUT', `/v1/registry/instances/${encodeURIComponent(this.instanceId)}/status`, {
        ready,
      });
    } catch (err) {
      this.options.log.warn({ err }, 'could not report readiness to the control plane');
    }
  }

  /** Stops heartbeats and deregisters (best effort, bounded by the request timeout). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    // A registration in flight is let finish first: its answer would otherwise register this
    // instance after it left, and nothing would deregister it before the TTL.
    await this.registering;
    const id = this.instanceId;
    this.instanceId = undefined;
    if (!id) return;
    try {
      await this.call('DELETE', `/v1/registry/instances/${encodeURIComponent(id)}`);
      this.options.log.info({ instanceId: id }, 'deregistered');
    } catch (err) {
      this.options.log.warn({ err }, 'deregistration failed; the registry TTL will expire the instance');
    }
  }

  private async registerLoop(): Promise<void> {
    if (this.stopped) return;
    try {
      const attempt = this.register();
      this.registering = attempt.then(
        () => undefined,
        () => undefined,
      );
      await attempt;
      this.failures = 0;
      this.options.log.info(
        { instanceId: this.instanceId, ttlMs: this.ttlMs },
        'registered with the control plane',
      );
      if (this.stopped) return; // stop() deregisters now that the id is known
      this.schedule(() => this.heartbeat(), Math.max(1, Math.floor(this.ttlMs / 3)));
    } catch (err) {
      this.failures++;
      const delay = this.backoffMs();
      if (this.failures === 1 || this.failures % 10 === 0) {
        this.options.log.warn(
          { err, retryInMs: delay },
          'control plane unreachable; serving anyway and retrying',
        );
      }
      this.schedule(() => this.registerLoop(), delay);
    }
  }

  /**
   * One registration request; the id and TTL are ours once it resolves. A (re-)registration starts
   * from the registry's default readiness, so ours is restated as part of it — before a stop
   * waiting on it deregisters, so a "not ready" reported meanwhile still reaches the registry.
   */
  private async register(): Promise<void> {
    const res = (await this.call('POST', '/v1/registry/instances', this.options.registration)) as {
      instanceId: string;
      ttlMs?: number;
    };
    this.instanceId = res.instanceId;
    this.ttlMs = res.ttlMs ?? this.options.registration.ttlMs ?? 10_000;
    if (this.ready !== undefined) await this.setReady(this.ready);
  }

  private async heartbeat(): Promise<void> {
    if (this.stopped || !this.instanceId) return;
    try {
      const answer = (await this.call(
        'PUT',
        `/v1/registry/instances/${encodeURIComponent(this.instanceId)}/heartbeat`,
      )) as { ready?: unknown } | undefined;
      this.failures = 0;
      // The heartbeat answer carries the readiness the registry holds; restate ours when they
      // differ (a status report lost while the control plane was down, or a stale one restored).
      const held = answer?.ready;
      if (typeof held === 'boolean' && this.ready !== undefined && held !== this.ready) {
        await this.setReady(this.ready);
      }
      this.schedule(() => this.heartbeat(), Math.max(1, Math.floor(this.ttlMs / 3)));
    } catch (err) {
      if (err instanceof RegistryError && err.status === 404) {
        this.options.log.info('registry forgot this instance; registering again');
        this.instanceId = undefined;
        return this.registerLoop();
      }
      this.failures++;
      this.schedule(() => this.heartbeat(), Math.min(this.backoffMs(), Math.floor(this.ttlMs / 3)));
    }
  }

  private backoffMs(): number {
    const initial = this.options.initialBackoffMs ?? 250;
    const max = this.options.maxBackoffMs ?? 5000;
    const exp = Math.min(max, initial * 2 ** Math.min(this.failures - 1, 20));
    // Full jitter on the upper half keeps a fleet restarted together from heartbeating in lockstep.
    return Math.round(exp / 2 + (Math.random() * exp) / 2);
  }

  private schedule(fn: () => Promise<void>, delayMs: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void fn(), delayMs);
    this.timer.unref();
  }

  private async call(method: string, path: string, body?: unknown): Promise<unknown> {
    let res: HttpAnswer;
    try {
      res = await httpRequest(this.base + path, {
        method,
        body,
        timeoutMs: this.options.requestTimeoutMs ?? 2000,
      });
    } catch (err) {
      throw new RegistryError(`${method} ${path}: control plane unreachable`, 0, { cause: err });
    }
    const text = res.text;
    if (res.status < 200 || res.status >= 300) {
      throw new RegistryError(`${method} ${path} answered ${res.status}: ${text.slice(0, 200)}`, res.status);
    }
    return text ? JSON.parse(text) : undefined;
  }
}
