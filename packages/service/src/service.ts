/**
 * `createService`: the runtime every Meshwork service starts from — an HTTP server with a router,
 * health probes, registration with the control plane, readiness reporting, structured logs with
 * trace ids, and graceful shutdown on SIGTERM/SIGINT.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { InvalidConfigError } from './errors.js';
import type { HealthIndicator } from './health/health.js';
import { type ProbeResult, Probes } from './health/probes.js';
import { budgetFromHeaders, runWithDeadline } from './http/deadline.js';
import { Router, sendJson } from './http/router.js';
import { DrainTracker } from './lifecycle/drain.js';
import { createLogger } from './logging/logger.js';
import { childContext, parseTraceparent, runWithTrace } from './logging/trace-context.js';
import { type InstanceRegistration, RegistryClient } from './registry/registration.js';

/** Options of {@link createService}; unset values come from the `meshwork up` environment. */
export interface ServiceOptions {
  /** Logical service name (`MESHWORK_SERVICE`). */
  name: string;
  /** App port; default `PORT`, else 0 (a free port). */
  port?: number;
  /** Bind address; default 127.0.0.1 (the sidecar is the only way in). */
  host?: string;
  /** Default `MESHWORK_INSTANCE_ID`, else `<name>-<pid>`. */
  instanceId?: string;
  namespace?: string;
  version?: string;
  labels?: Record<string, string>;
  /** Control plane URL; default `MESHWORK_CONTROL_PLANE`. Unset: no registration. */
  controlPlane?: string;
  /** Other ports to register as their own services (e.g. a gRPC port as `inventory-grpc`). */
  extraRegistrations?: Omit<InstanceRegistration, 'address'>[];
  /** Drain deadline on shutdown; default 10 s. */
  shutdownDeadlineMs?: number;
  /** Pause between deregistering and closing the listener, so routing tables catch up. Default 300 ms when registered. */
  deregisterDelayMs?: number;
  /** How often readiness is re-evaluated and reported; default 2000 ms. */
  readinessIntervalMs?: number;
  /** Installs SIGTERM/SIGINT handlers that shut down and exit 0; default true. */
  handleSignals?: boolean;
  log?: Logger;
  env?: NodeJS.ProcessEnv;
}

/** A running (or about to run) service. */
export interface Service {
  readonly name: string;
  readonly instanceId: string;
  readonly log: Logger;
  readonly router: Router;
  readonly probes: Probes;
  /** Adds a health indicator (database, broker, downstream dependency). */
  health(indicator: HealthIndicator): Service;
  /** Registers a cleanup (close pools, db) run after the drain, in reverse order. */
  onShutdown(fn: () => unknown): Service;
  /**
   * Registers another port of this process as its own service (e.g. gRPC as `inventory-grpc`)
   * alongside the main one; call before {@link Service.start}. Its readiness follows the main one.
   */
  alsoRegister(registration: Omit<InstanceRegistration, 'address'>): Service;
  /** Listens, marks started, registers; resolves to the bound port. */
  start(): Promise<number>;
  /** Graceful shutdown; resolves when everything is closed. Idempotent. */
  stop(reason?: string): Promise<void>;
  /** The HTTP server (after start). */
  readonly server: Server | undefined;
  /** True while the last readiness evaluation passed and shutdown has not begun (gRPC health uses it). */
  readonly ready: boolean;
}

function envPort(value: string | undefined, name: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new InvalidConfigError(`${name}: "${value}" is not a port`);
  return port;
}

/** What a probe endpoint runs. */
type ProbeFn = () => ProbeResult | Promise<ProbeResult>;

/** The runtime behind {@link createService}. */
class ServiceRuntime implements Service {
  readonly name: string;
  readonly instanceId: string;
  readonly log: Logger;
  readonly router = new Router();
  readonly probes = new Probes();
  private readonly env: NodeJS.ProcessEnv;
  private readonly controlPlane: string | undefined;
  private readonly cleanups: (() => unknown)[] = [];
  private readonly registries: RegistryClient[] = [];
  private readonly extra: Omit<InstanceRegistration, 'address'>[];
  private readonly probeRoutes: Record<string, ProbeFn>;
  private httpServer: Server | undefined;
  private drain: DrainTracker | undefined;
  private readinessTimer: NodeJS.Timeout | undefined;
  private lastReady: boolean | undefined;
  private stopping: Promise<void> | undefined;

  constructor(private readonly options: ServiceOptions) {
    this.env = options.env ?? process.env;
    this.name = options.name;
    this.instanceId = options.instanceId ?? this.env.MESHWORK_INSTANCE_ID ?? `${this.name}-${process.pid}`;
    this.log = options.log ?? createLogger({ service: this.name, instanceId: this.instanceId });
    this.controlPlane = options.controlPlane ?? this.env.MESHWORK_CONTROL_PLANE;
    this.extra = [...(options.extraRegistrations ?? [])];
    this.probeRoutes = {
      '/health/live': () => this.probes.liveness(),
      '/health/ready': () => this.probes.readiness(),
      '/health/started': () => this.probes.startup(),
      '/health': () => this.probes.readiness(),
    };
  }

  get server(): Server | undefined {
    return this.httpServer;
  }

  get ready(): boolean {
    return this.lastReady === true && this.stopping === undefined;
  }

  health(indicator: HealthIndicator): Service {
    this.probes.add(indicator);
    return this;
  }

  onShutdown(fn: () => unknown): Service {
    this.cleanups.push(fn);
    return this;
  }

  alsoRegister(registration: Omit<InstanceRegistration, 'address'>): Service {
    if (this.httpServer) throw new InvalidConfigError('alsoRegister() must be called before start()');
    this.extra.push(registration);
    return this;
  }

  async start(): Promise<number> {
    // Validate everything from the environment before binding anything.
    const port = this.options.port ?? envPort(this.env.PORT, 'PORT') ?? 0;
    const sidecarPort = envPort(this.env.MESHWORK_SIDECAR_INBOUND_PORT, 'MESHWORK_SIDECAR_INBOUND_PORT');
    const server = createServer({ keepAliveTimeout: 5000 }, (req, res) => this.onRequest(req, res));
    this.httpServer = server;
    this.drain = new DrainTracker(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.options.host ?? '127.0.0.1', () => resolve());
    });
    const bound = (server.address() as AddressInfo).port;
    this.probes.markStarted();
    this.startRegistration(bound, sidecarPort);
    await this.reportReadiness();
    this.readinessTimer = setInterval(
      () => void this.reportReadiness(),
      this.options.readinessIntervalMs ?? 2000,
    );
    this.readinessTimer.unref();
    if (this.options.handleSignals !== false) this.installSignals();
    if (this.env.MESHWORK_SUPERVISED === '1') this.watchParent();
    this.log.info({ port: bound }, `${this.name} listening`);
    return bound;
  }

  stop(reason = 'stop'): Promise<void> {
    this.stopping ??= this.shutdown(reason);
    return this.stopping;
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const probe = req.method === 'GET' ? this.probeRoutes[(req.url ?? '/').split('?', 1)[0]] : undefined;
    if (probe) return void this.answerProbe(probe, res);
    const trace = childContext(parseTraceparent(req.headers.traceparent));
    const budgetMs = budgetFromHeaders(req.headers);
    runWithTrace(trace, () => {
      res.setHeader('x-served-by', this.instanceId);
      if (this.log.isLevelEnabled('debug')) this.accessLog(req, res);
      if (budgetMs === undefined) void this.router.handle(req, res, this.log);
      else runWithDeadline(Date.now() + budgetMs, () => void this.router.handle(req, res, this.log));
    });
  }

  // Only at debug level: the listener costs a closure per request.
  private accessLog(req: IncomingMessage, res: ServerResponse): void {
    const startedAt = performance.now();
    res.once('finish', () => {
      const durationMs = Math.round((performance.now() - startedAt) * 10) / 10;
      this.log.debug({ method: req.method, path: req.url, status: res.statusCode, durationMs }, 'request');
    });
  }

  private async answerProbe(probe: ProbeFn, res: ServerResponse): Promise<void> {
    const result = await probe();
    sendJson(res, result.httpStatus, result.health, { 'cache-control': 'no-store' });
  }

  private async reportReadiness(): Promise<void> {
    const ready = (await this.probes.readiness()).httpStatus === 200;
    if (ready === this.lastReady) return;
    this.lastReady = ready;
    this.log.info({ ready }, ready ? 'instance ready' : 'instance not ready');
    await Promise.all(this.registries.map((r) => r.setReady(ready)));
  }

  private startRegistration(port: number, sidecarPort: number | undefined): void {
    if (!this.controlPlane) return;
    const address = this.options.host ?? '127.0.0.1';
    const base: InstanceRegistration = {
      service: this.name,
      namespace: this.options.namespace ?? this.env.MESHWORK_NAMESPACE,
      instanceId: this.instanceId,
      address,
      port,
      sidecarPort,
      protocol: 'http',
      version: this.options.version ?? this.env.MESHWORK_VERSION,
      labels: this.options.labels,
      healthCheck: { type: 'http', path: '/health/ready', port },
    };
    for (const registration of [base, ...this.extra.map((r) => ({ address, ...r }))]) {
      const client = new RegistryClient({ controlPlane: this.controlPlane, registration, log: this.log });
      this.registries.push(client);
      client.start();
    }
  }

  private async shutdown(reason: string): Promise<void> {
    this.log.info({ reason }, 'shutting down');
    clearInterval(this.readinessTimer);
    this.probes.markShuttingDown();
    await Promise.all(this.registries.map((r) => r.setReady(false)));
    await Promise.all(this.registries.map((r) => r.stop()));
    const delay = this.options.deregisterDelayMs ?? (this.registries.length > 0 ? 300 : 0);
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    if (this.drain) {
      const result = await this.drain.drain(this.options.shutdownDeadlineMs ?? 10_000);
      if (result.abandoned > 0) this.log.warn(result, 'drain deadline reached; requests cut off');
      else this.log.info(result, 'drained');
    }
    for (const fn of this.cleanups.reverse()) {
      try {
        await fn();
      } catch (err) {
        this.log.warn({ err }, 'shutdown hook failed');
      }
    }
  }

  private installSignals(): void {
    const onSignal = (signal: NodeJS.Signals) => {
      void this.stop(signal).then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  }

  private watchParent(): void {
    // A supervisor killed with SIGKILL cannot stop its children; reparenting tells us it is gone.
    const parent = process.ppid;
    const timer = setInterval(() => {
      if (process.ppid === parent) return;
      clearInterval(timer);
      this.log.warn('supervisor is gone; shutting down');
      void this.stop('orphaned').then(() => process.exit(0));
    }, 1000);
    timer.unref();
  }
}

/**
 * Creates a service runtime.
 *
 * @example
 * const svc = createService({ name: 'catalog' });
 * svc.router.get('/products', () => repo.list());
 * svc.health(databaseIndicator(() => db.ping()));
 * await svc.start();
 */
export function createService(options: ServiceOptions): Service {
  return new ServiceRuntime(options);
}
