/**
 * Outbound HTTP/JSON client for one logical service. Two ways to reach it:
 * - through the local sidecar: every request goes to `http://127.0.0.1:<outbound>` with
 *   `Host: <service>`; the sidecar does discovery, balancing, retries and mTLS;
 * - proxyless: round-robin over endpoints from a static list or the control plane's registry,
 *   failing over to the next endpoint on connection errors, with an optional resilience policy
 *   (retry + circuit breaker + timeout) around each call.
 * The active `traceparent` is forwarded on every call.
 */
import type { Dispatcher } from 'undici';
import { DeadlineExceededError, UpstreamStatusError, UpstreamUnavailableError } from '../errors.js';
import { remainingMs, TIMEOUT_HEADER } from '../http/deadline.js';
import { currentTrace, formatTraceparent } from '../logging/trace-context.js';
import type { Endpoint, EndpointSource } from './endpoints.js';

/** What a policy passes inward: `@meshwork/resilience`'s ExecutionContext has both. */
export interface PolicyContext {
  /** Absolute deadline (ms, the policy clock); Infinity when nothing bounds the call. */
  readonly deadline?: number;
  /** Fires when the policy gives up on the call (created lazily by the policy). */
  readonly signal?: AbortSignal;
}

/** A resilience policy as `@meshwork/resilience` shapes it: one `execute`. */
export interface Policy {
  execute<T>(fn: (context: PolicyContext) => Promise<T>): Promise<T>;
}

const IDEMPOTENT = new Set(['GET', 'PUT', 'DELETE']);

/** How the client reaches the service. */
export type Route = { kind: 'sidecar'; outboundPort: number } | { kind: 'endpoints'; source: EndpointSource };

/** Options of {@link ServiceClient}. */
export interface ServiceClientOptions {
  /** Logical service name (also the `Host` header). */
  service: string;
  route: Route;
  /** Wraps every call (proxyless mode); see `@meshwork/resilience`. */
  policy?: Policy;
  /** Per-attempt timeout for response headers and body; default 5000 ms. */
  timeoutMs?: number;
  /** Shared connection pool; default one per client. */
  dispatcher?: Dispatcher;
}

/** One outbound request. `body` is sent as JSON. */
export interface OutboundRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** Sent as `Idempotency-Key`, which makes retries of non-idempotent calls safe. */
  idempotencyKey?: string;
}

/** A decoded response. */
export interface OutboundResponse<T> {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: T;
}

const CONNECT_ERRORS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);

/** An HTTP/JSON client bound to one logical service. */
export class ServiceClient {
  readonly service: string;
  private dispatcher: Dispatcher | undefined;
  private readonly ownsDispatcher: boolean;
  private next = 0;

  constructor(private readonly options: ServiceClientOptions) {
    this.service = options.service;
    this.ownsDispatcher = !options.dispatcher;
    this.dispatcher = options.dispatcher;
  }

  // undici is loaded on first use: processes that never call out do not pay its memory.
  private async pool(): Promise<Dispatcher> {
    if (!this.dispatcher) {
      const { Agent } = await import('undici');
      this.dispatcher ??= new Agent({ keepAliveTimeout: 10_000, connections: 64 });
    }
    return this.dispatcher;
  }

  /** Sends a request; non-2xx answers throw {@link UpstreamStatusError}, no answer throws {@link UpstreamUnavailableError}. */
  async request<T = unknown>(req: OutboundRequest): Promise<OutboundResponse<T>> {
    const policy = this.options.policy;
    if (!policy) return this.attempt<T>(req, undefined);
    // The signal costs an AbortController, so it is read only when a time limit can fire.
    return policy.execute((ctx) =>
      this.attempt<T>(req, Number.isFinite(ctx.deadline) ? ctx.signal : undefined),
    );
  }

  /** GET, returning the decoded body. */
  async get<T = unknown>(path: string, headers?: Record<string, string>): Promise<T> {
    return (await this.request<T>({ method: 'GET', path, headers })).body;
  }

  /** POST a JSON body, returning the decoded answer. */
  async post<T = unknown>(path: string, body?: unknown, opts: { idempotencyKey?: string } = {}): Promise<T> {
    return (await this.request<T>({ method: 'POST', path, body, idempotencyKey: opts.idempotencyKey })).body;
  }

  /** Closes pooled connections (and the endpoint watcher). */
  async close(): Promise<void> {
    if (this.options.route.kind === 'endpoints') this.options.route.source.close();
    if (this.ownsDispatcher) await this.dispatcher?.close();
  }

  private async attempt<T>(
    req: OutboundRequest,
    signal: AbortSignal | undefined,
  ): Promise<OutboundResponse<T>> {
    const route = this.options.route;
    if (route.kind === 'sidecar')
      return this.send<T>(req, { host: '127.0.0.1', port: route.outboundPort }, signal);
    await route.source.ready();
    const list = route.source.endpoints();
    if (list.length === 0) throw new UpstreamUnavailableError(this.service, 'no healthy endpoints');
    let lastError: unknown;
    // Fail over across endpoints on connection errors, and only when repeating is safe: a refused
    // connect never reached an app; a reset might have, so only idempotent requests move on.
    for (let tried = 0; tried < list.length; tried++) {
      const endpoint = list[this.next++ % list.length];
      try {
        return await this.send<T>(req, endpoint, signal);
      } catch (err) {
        if (!(err instanceof UpstreamUnavailableError) || !err.safeToRetry || !isConnectError(err.cause))
          throw err;
        lastError = err;
      }
    }
    throw lastError;
  }

  private async send<T>(
    req: OutboundRequest,
    endpoint: Endpoint,
    signal: AbortSignal | undefined,
  ): Promise<OutboundResponse<T>> {
    const headers: Record<string, string> = {
      host: this.service,
      accept: 'application/json',
      ...req.headers,
    };
    const trace = currentTrace();
    if (trace) headers.traceparent = formatTraceparent(trace);
    if (req.idempotencyKey) headers['idempotency-key'] = req.idempotencyKey;
    let payload: string | undefined;
    if (req.body !== undefined) {
      payload = JSON.stringify(req.body);
      headers['content-type'] = 'application/json';
    }
    let timeoutMs = this.options.timeoutMs ?? 5000;
    const left = remainingMs();
    if (left !== undefined) {
      // Spend only what the caller still waits for, and tell the next hop what that is.
      if (left <= 0) {
        throw new DeadlineExceededError(
          `${this.service}: ${req.method} ${req.path} not sent, the request's deadline has passed`,
        );
      }
      timeoutMs = Math.min(timeoutMs, left);
      headers[TIMEOUT_HEADER] = String(timeoutMs);
      // undici's own timeouts are coarse; a deadline needs a precise timer.
      const deadline = AbortSignal.timeout(timeoutMs);
      signal = signal ? AbortSignal.any([signal, deadline]) : deadline;
    }
    let res: Dispatcher.ResponseData;
    try {
      const dispatcher = this.dispatcher ?? (await this.pool());
      res = await dispatcher.request({
        origin: `http://${endpoint.host}:${endpoint.port}`,
        path: req.path,
        method: req.method,
        headers,
        body: payload,
        signal,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
    } catch (err) {
      throw new UpstreamUnavailableError(
        this.service,
        `${req.method} ${req.path} failed: ${(err as Error).message}`,
        {
          cause: err,
          safeToRetry: isConnectRefused(err) || isIdempotent(req),
        },
      );
    }
    const text = await res.body.text();
    const type = String(res.headers['content-type'] ?? '');
    const body = text && type.includes('json') ? JSON.parse(text) : text || undefined;
    if (res.statusCode >= 300)
      throw new UpstreamStatusError(this.service, res.statusCode, body, isIdempotent(req));
    return { status: res.statusCode, headers: res.headers, body: body as T };
  }
}

function isIdempotent(req: OutboundRequest): boolean {
  return IDEMPOTENT.has(req.method) || req.idempotencyKey !== undefined;
}

function isConnectRefused(err: unknown): boolean {
  return (err as { code?: string } | undefined)?.code === 'ECONNREFUSED';
}

function isConnectError(err: unknown): boolean {
  const code = (err as { code?: string } | undefined)?.code;
  return code !== undefined && CONNECT_ERRORS.has(code);
}
