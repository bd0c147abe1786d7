/**
 * Where a logical service's instances are: a fixed list, or the control plane's registry watched
 * with Consul-style blocking queries (`?index=N&wait=30s`, `X-Meshwork-Index`).
 */
import type { Logger } from 'pino';
import { httpRequest } from '../http/http-json.js';

/** One address to send requests to. */
export interface Endpoint {
  host: string;
  port: number;
  /** Instance id when known (discovery). */
  id?: string;
  /** Version label when known (discovery), for subset routing. */
  version?: string;
}

/** Source of a service's current endpoints. */
export interface EndpointSource {
  /** The current endpoints (may be empty). */
  endpoints(): readonly Endpoint[];
  /** Resolves once the first list is known (immediately for static lists). */
  ready(): Promise<void>;
  /** True once an answer arrived (static lists: always); before that the list means nothing. */
  readonly known?: boolean;
  close(): void;
}

/** Parses `host:port` (or `port`) into an endpoint, naming the bad value on error. */
export function parseEndpoint(text: string, where: string): Endpoint {
  const trimmed = text.trim();
  const colon = trimmed.lastIndexOf(':');
  const host = colon >= 0 ? trimmed.slice(0, colon) || '127.0.0.1' : '127.0.0.1';
  const port = Number(colon >= 0 ? trimmed.slice(colon + 1) : trimmed);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new TypeError(`${where}: "${text}" is not host:port with a port in 1..65535`);
  }
  return { host, port };
}

/** A fixed list of endpoints. */
export class StaticEndpoints implements EndpointSource {
  private readonly list: Endpoint[];

  constructor(list: readonly Endpoint[]) {
    this.list = [...list];
  }

  endpoints(): readonly Endpoint[] {
    return this.list;
  }
  ready(): Promise<void> {
    return Promise.resolve();
  }
  close(): void {}
}

interface RegistryInstance {
  instanceId?: string;
  id?: string;
  address: string;
  port: number;
  ready?: boolean;
  healthy?: boolean;
  version?: string;
  labels?: Record<string, string>;
}

/** Options of {@link DiscoveryWatcher}. */
export interface DiscoveryOptions {
  controlPlane: string;
  service: string;
  namespace?: string;
  log?: Logger;
  /** Blocking query wait; default 30 s. */
  waitSeconds?: number;
  /** Delay before retrying after an error; default 1000 ms. */
  retryDelayMs?: number;
}

/**
 * Watches `GET /v1/registry/services/:name/instances?healthy=true` with blocking queries and keeps
 * the healthy list current. Proxyless clients use the app port of each instance.
 */
export class DiscoveryWatcher implements EndpointSource {
  private list: Endpoint[] = [];
  private index = '0';
  private answered = false;
  private closed = false;
  private controller = new AbortController();
  private readonly first: Promise<void>;
  private resolveFirst!: () => void;

  constructor(private readonly options: DiscoveryOptions) {
    this.first = new Promise((r) => {
      this.resolveFirst = r;
    });
    void this.loop();
  }

  endpoints(): readonly Endpoint[] {
    return this.list;
  }
  ready(): Promise<void> {
    return this.first;
  }
  get known(): boolean {
    return this.answered;
  }
  close(): void {
    this.closed = true;
    this.controller.abort();
  }

  private async loop(): Promise<void> {
    const base = this.options.controlPlane.replace(/\/+$/, '');
    const wait = this.options.waitSeconds ?? 30;
    while (!this.closed) {
      const url =
        `${base}/v1/registry/services/${encodeURIComponent(this.options.service)}/instances` +
        `?healthy=true&index=${this.index}&wait=${wait}s` +
        (this.options.namespace ? `&namespace=${encodeURIComponent(this.options.namespace)}` : '');
      try {
        const res = await httpRequest(url, { signal: this.controller.signal, timeoutMs: (wait + 5) * 1000 });
        if (res.status !== 200) throw new Error(`registry answered ${res.status}`);
        const body = JSON.parse(res.text) as RegistryInstance[] | { instances: RegistryInstance[] };
        const instances = Array.isArray(body) ? body : body.instances;
        this.list = instances
          .filter((i) => i.ready !== false && i.healthy !== false)
          .map((i) => ({
            host: i.address,
            port: i.port,
            id: i.instanceId ?? i.id,
            version: i.version ?? i.labels?.version,
          }));
        const next = res.headers['x-meshwork-index'] as string | undefined;
        // An index that goes backwards means the registry restarted: start over from 0.
        this.index = next && Number(next) >= Number(this.index) ? next : '0';
        this.answered = true;
        this.resolveFirst();
      } catch (err) {
        if (this.closed) return;
        this.options.log?.warn({ err, service: this.options.service }, 'discovery watch failed; retrying');
        this.resolveFirst();
        await new Promise((r) => setTimeout(r, this.options.retryDelayMs ?? 1000).unref());
      }
    }
  }
}
