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
}

function envPort(value: string | undefined, name: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new InvalidConfigError(`${name}: "${value}" is not a port`);
  return port;
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
  const env = options.env ?? process.env;
  const name = options.name;
  const instanceId = options.instanceId ?? env.MESHWORK_INSTANCE_ID ?? `${name}-${process.pid}`;
  const log = options.log ?? createLogger({ service: name, instanceId });
  const router = new Router();
  const probes = new Probes();
  const cleanups: (() => unknown)[] = [];
  const controlPlane = options.controlPlane ?? env.MESHWORK_CONTROL_PLANE;
  const registries: RegistryClient[] = [];
  const extra = [...(options.extraRegistrations ?? [])];
  let server: Server | undefined;
  let drain: DrainTracker | undefined;
  let readinessTimer: NodeJS.Timeout | undefined;
  let lastReady: boolean | undefined;
  let stopping: Promise<void> | undefined;

  const probeRoute =
    (probe: () => ProbeResult | Promise<ProbeResult>) => async (_req: unknown, res: ServerResponse) => {
      const result = await probe();
      sendJson(res, result.httpStatus, result.health, { 'cache-control': 'no-store' });
    };
  const probeHandlers: Record<string, (req: unknown, res: ServerResponse) => Promise<void>> = {
    '/health/live': probeRoute(() => probes.liveness()),
    '/health/ready': probeRoute(() => probes.readiness()),
    '/health/started': probeRoute(() => probes.startup()),
    '/health': probeRoute(() => probes.readiness()),
  };

  function onRequest(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?', 1)[0];
    const probe = probeHandlers[path];
    if (probe && req.method === 'GET') return void probe(req, res);
    const trace = childContext(parseTraceparent(req.headers.traceparent));
    runWithTrace(trace, () => {
      res.setHeader('x-served-by', instanceId);
      void router.handle(req, res, log);
    });
  }

  async function reportReadiness(): Promise<void> {
    const ready = (await probes.readiness()).httpStatus === 200;
    if (ready === lastReady) return;
    lastReady = ready;
    log.info({ ready }, ready ? 'instance ready' : 'instance not ready');
    await Promise.all(registries.map((r) => r.setReady(ready)));
  }

  function startRegistration(port: number): void {
    if (!controlPlane) return;
    const address = options.host ?? '127.0.0.1';
    const sidecarPort = envPort(env.MESHWORK_SIDECAR_INBOUND_PORT, 'MESHWORK_SIDECAR_INBOUND_PORT');
    const base: InstanceRegistration = {
      service: name,
      namespace: options.namespace ?? env.MESHWORK_NAMESPACE,
      instanceId,
      address,
      port,
      sidecarPort,
      protocol: 'http',
      version: options.version ?? env.MESHWORK_VERSION,
      labels: options.labels,
      healthCheck: { type: 'http', path: '/health/ready', port },
    };
    const all = [base, ...extra.map((r) => ({ address, ...r }))];
    for (const registration of all) {
      const client = new RegistryClient({ controlPlane, registration, log });
      registries.push(client);
      client.start();
    }
  }

  async function start(): Promise<number> {
    const port = options.port ?? envPort(env.PORT, 'PORT') ?? 0;
    server = createServer({ keepAliveTimeout: 5000 }, onRequest);
    drain = new DrainTracker(server);
    await new Promise<void>((resolve, reject) => {
      server!.once('error', reject);
      server!.listen(port, options.host ?? '127.0.0.1', () => resolve());
    });
    const bound = (server.address() as AddressInfo).port;
    probes.markStarted();
    startRegistration(bound);
    await reportReadiness();
    readinessTimer = setInterval(() => void reportReadiness(), options.readinessIntervalMs ?? 2000);
    readinessTimer.unref();
    if (options.handleSignals !== false) installSignals();
    if (env.MESHWORK_SUPERVISED === '1') watchParent();
    log.info({ port: bound }, `${name} listening`);
    return bound;
  }

  async function doStop(reason: string): Promise<void> {
    log.info({ reason }, 'shutting down');
    clearInterval(readinessTimer);
    probes.markShuttingDown();
    await Promise.all(registries.map((r) => r.setReady(false)));
    await Promise.all(registries.map((r) => r.stop()));
    const delay = options.deregisterDelayMs ?? (registries.length > 0 ? 300 : 0);
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    if (drain) {
      const result = await drain.drain(options.shutdownDeadlineMs ?? 10_000);
      if (result.abandoned > 0) log.warn(result, 'drain deadline reached; requests cut off');
      else log.info(result, 'drained');
    }
    for (const fn of cleanups.reverse()) {
      try {
        await fn();
      } catch (err) {
        log.warn({ err }, 'shutdown hook failed');
      }
    }
  }

  function installSignals(): void {
    const onSignal = (signal: NodeJS.Signals) => {
      void svc.stop(signal).then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  }

  function watchParent(): void {
    // A supervisor killed with SIGKILL cannot stop its children; reparenting tells us it is gone.
    const parent = process.ppid;
    const timer = setInterval(() => {
      if (process.ppid === parent) return;
      clearInterval(timer);
      log.warn('supervisor is gone; shutting down');
      void svc.stop('orphaned').then(() => process.exit(0));
    }, 1000);
    timer.unref();
  }

  const svc: Service = {
    name,
    instanceId,
    log,
    router,
    probes,
    get server() {
      return server;
    },
    health(indicator) {
      probes.add(indicator);
      return svc;
    },
    onShutdown(fn) {
      cleanups.push(fn);
      return svc;
    },
    alsoRegister(registration) {
      if (server) throw new InvalidConfigError('alsoRegister() must be called before start()');
      extra.push(registration);
      return svc;
    },
    start,
    stop(reason = 'stop') {
      stopping ??= doStop(reason);
      return stopping;
    },
  };
  return svc;
}
