/**
 * The service registry: workloads register, heartbeat within their TTL (Eureka/Consul style),
 * report readiness and deregister; active checks and proxies' outlier reports feed their health.
 * Every change that alters what may receive traffic bumps the registry index and is announced to
 * listeners (the translator) and to blocking discovery queries.
 */
import { randomUUID } from 'node:crypto';
import { ControlPlaneError, NotFoundError } from '../errors.js';
import { serviceFqdn } from '../resources/hosts.js';
import { DEFAULT_NAMESPACE } from '../resources/resource.js';
import type { EndpointSource, RegisteredService, WorkloadEndpoint } from '../translate/model.js';
import type { AnalysisHooks } from '../validation/world.js';
import { registryAnalysisHooks } from './analysis-hooks.js';
import { BlockingQueries } from './blocking-queries.js';
import { type InstanceRecord, isServing, type RegistrationRequest } from './instance.js';
import { newRecord } from './registration.js';

/** Why an instance changed. */
export type ChangeReason =
  | 'registered'
  | 'updated'
  | 'deregistered'
  | 'expired'
  | 'revived'
  | 'readiness'
  | 'health'
  | 'outlier'
  | 'removed';

/** One registry change, as listeners receive it. */
export interface RegistryChange {
  index: number;
  instanceId: string;
  service: string;
  namespace: string;
  /** FQDN of the service, the host the translator keys endpoints by. */
  host: string;
  reason: ChangeReason;
  /** True when the set of registered services itself changed (first instance came or last left). */
  servicesChanged: boolean;
}

/** Options of a {@link Registry}. */
export interface RegistryOptions {
  /** TTL of instances that do not ask for one. Default 10 s. */
  defaultTtlMs?: number;
  /** How often TTLs and outlier demotions are checked. Default 250 ms. */
  sweepIntervalMs?: number;
  /** Expired instances are forgotten after this many TTLs without a heartbeat. Default 6. */
  forgetAfterTtls?: number;
  /** SPIFFE trust domain. Default `cluster.local`. */
  trustDomain?: string;
  /** Clock in milliseconds; injectable for tests. */
  now?: () => number;
  /** Run the TTL sweep on a timer (disable in tests and call {@link Registry.sweep}). Default true. */
  autoSweep?: boolean;
}

type Listener = (change: RegistryChange) => void;

/** The registry of workload instances. Also the translator's {@link EndpointSource}. */
export class Registry implements EndpointSource {
  private readonly instances = new Map<string, InstanceRecord>();
  private readonly byService = new Map<string, Set<string>>();
  private readonly serviceIndex = new Map<string, number>();
  private readonly listeners = new Set<Listener>();
  private readonly queries = new BlockingQueries();
  private readonly sweepTimer: NodeJS.Timeout | undefined;
  private currentIndex = 1;
  readonly defaultTtlMs: number;
  private readonly forgetAfterTtls: number;
  private readonly trustDomain: string;
  private readonly now: () => number;

  constructor(options: RegistryOptions = {}) {
    this.defaultTtlMs = options.defaultTtlMs ?? 10_000;
    this.forgetAfterTtls = options.forgetAfterTtls ?? 6;
    this.trustDomain = options.trustDomain ?? 'cluster.local';
    this.now = options.now ?? Date.now;
    if (options.autoSweep !== false) {
      this.sweepTimer = setInterval(() => this.sweep(), options.sweepIntervalMs ?? 250);
      this.sweepTimer.unref();
    }
  }

  /** The registry index: bumps on every change that alters serving state. */
  index(): number {
    return this.currentIndex;
  }

  /** Subscribes to changes; returns the unsubscribe function. */
  onChange(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Registers (or re-registers) an instance. The id is generated when the request has none. */
  register(req: RegistrationRequest): InstanceRecord {
    const namespace = req.namespace ?? DEFAULT_NAMESPACE;
    const instanceId = req.instanceId ?? `${req.service}-${randomUUID().slice(0, 8)}`;
    const existing = this.instances.get(instanceId);
    if (existing && (existing.service !== req.service || existing.namespace !== namespace)) {
      throw new ControlPlaneError(
        'MESH_ERR_CP_REGISTRY',
        `instance ${instanceId} is registered to ${existing.service}.${existing.namespace}; deregister it first`,
        { status: 409 },
      );
    }
    const record = newRecord(req, instanceId, namespace, this.trustDomain, this.defaultTtlMs, this.now());
    if (existing) record.registeredAtMs = existing.registeredAtMs;
    this.instances.set(instanceId, record);
    const key = serviceKey(req.service, namespace);
    let ids = this.byService.get(key);
    const firstOfService = !ids || ids.size === 0;
    // A port no other instance of the service uses changes the service's port set.
    const newPort = ![...(ids ?? [])].some(
      (id) => id !== instanceId && this.instances.get(id)?.port === req.port,
    );
    if (!ids) this.byService.set(key, (ids = new Set()));
    ids.add(instanceId);
    // The service's port set (what routes and clusters are built from) changes with a new port.
    this.emit(
      record,
      existing ? 'updated' : 'registered',
      firstOfService || newPort || (existing?.port !== undefined && existing.port !== req.port),
    );
    return record;
  }

  /** Records a heartbeat; throws NOT_FOUND when the instance is unknown (it must re-register). */
  heartbeat(instanceId: string): InstanceRecord {
    const r = this.require(instanceId);
    r.lastHeartbeatMs = this.now();
    if (r.expired) {
      r.expired = false;
      this.emit(r, 'revived', false);
    }
    return r;
  }

  /** Sets the readiness the instance reports; not-ready instances get no traffic. */
  setReady(instanceId: string, ready: boolean): InstanceRecord {
    const r = this.require(instanceId);
    if (r.ready !== ready) {
      r.ready = ready;
      this.emit(r, 'readiness', false);
    }
    return r;
  }

  /** Removes an instance; false when it was not registered. */
  deregister(instanceId: string, reason: ChangeReason = 'deregistered'): boolean {
    const r = this.instances.get(instanceId);
    if (!r) return false;
    this.instances.delete(instanceId);
    const key = serviceKey(r.service, r.namespace);
    const ids = this.byService.get(key);
    ids?.delete(instanceId);
    const last = !ids || ids.size === 0;
    if (last) this.byService.delete(key);
    const portGone = !last && ![...(ids ?? [])].some((id) => this.instances.get(id)?.port === r.port);
    this.emit(r, reason, last || portGone);
    return true;
  }

  /**
   * A proxy ejected this instance for outlying errors. The control plane demotes it to DEGRADED
   * for `ejectionMs` everywhere, so proxies that have not yet seen its errors prefer other hosts.
   */
  reportOutlier(instanceId: string, ejectionMs = 30_000): InstanceRecord {
    const r = this.require(instanceId);
    const wasDemoted = r.outlierUntilMs > this.now();
    r.outlierUntilMs = Math.max(r.outlierUntilMs, this.now() + ejectionMs);
    r.outlierReports++;
    if (!wasDemoted) this.emit(r, 'outlier', false);
    return r;
  }

  /** Applies one active-check result with the instance's thresholds. */
  recordCheck(instanceId: string, passed: boolean, error?: string): void {
    const r = this.instances.get(instanceId);
    if (!r?.healthCheck) return;
    const before = r.checkStatus;
    if (passed) {
      r.consecutivePasses++;
      r.consecutiveFailures = 0;
      r.lastCheckError = undefined;
      if (
        before !== 'passing' &&
        (before === 'unknown' || r.consecutivePasses >= r.healthCheck.healthyThreshold)
      ) {
        r.checkStatus = 'passing';
      }
    } else {
      r.consecutiveFailures++;
      r.consecutivePasses = 0;
      r.lastCheckError = error;
      if (r.consecutiveFailures >= r.healthCheck.unhealthyThreshold) r.checkStatus = 'failing';
    }
    // unknown → passing changes nothing observable: unknown instances already serve.
    if (before !== r.checkStatus && !(before === 'unknown' && r.checkStatus === 'passing'))
      this.emit(r, 'health', false);
  }

  /** Expires instances past their TTL, forgets long-dead ones, lifts outlier demotions. */
  sweep(): void {
    const nowMs = this.now();
    for (const r of [...this.instances.values()]) {
      const silentMs = nowMs - r.lastHeartbeatMs;
      if (silentMs > r.ttlMs * this.forgetAfterTtls) {
        this.deregister(r.instanceId, 'removed');
        continue;
      }
      if (!r.expired && silentMs > r.ttlMs) {
        r.expired = true;
        this.emit(r, 'expired', false);
      }
      if (r.outlierUntilMs !== 0 && r.outlierUntilMs <= nowMs) {
        r.outlierUntilMs = 0;
        this.emit(r, 'outlier', false);
      }
    }
  }

  /** One instance, or undefined. */
  get(instanceId: string): InstanceRecord | undefined {
    return this.instances.get(instanceId);
  }

  /** Every instance, or those of one service. */
  list(service?: string, namespace = DEFAULT_NAMESPACE): InstanceRecord[] {
    if (service === undefined) return [...this.instances.values()];
    const ids = this.byService.get(serviceKey(service, namespace)) ?? new Set<string>();
    return [...ids].map((id) => this.instances.get(id)!).filter(Boolean);
  }

  /** Index of the last change to one service (the global index when it never changed). */
  serviceIndexOf(service: string, namespace: string): number {
    return this.serviceIndex.get(serviceKey(service, namespace)) ?? 0;
  }

  /**
   * Resolves once the service's index exceeds `index` (Consul's blocking query), or after
   * `timeoutMs` with the current index.
   */
  waitForChange(service: string, namespace: string, index: number, timeoutMs: number): Promise<number> {
    const key = serviceKey(service, namespace);
    const current = this.serviceIndexOf(service, namespace);
    if (current > index || timeoutMs <= 0) return Promise.resolve(current);
    return this.queries.wait(key, timeoutMs, () => this.serviceIndexOf(service, namespace));
  }

  /** Services with at least one instance (for the translator). */
  *registeredServices(): Iterable<RegisteredService> {
    for (const ids of this.byService.values()) {
      const records = [...ids].map((id) => this.instances.get(id)!);
      const first = records[0];
      if (!first) continue;
      const ports = [...new Set(records.map((r) => r.port))];
      yield { name: first.service, namespace: first.namespace, protocol: first.protocol, ports };
    }
  }

  /** Instances of a service that may receive traffic, as endpoints. */
  endpointsOf(name: string, namespace: string): readonly WorkloadEndpoint[] {
    const nowMs = this.now();
    const out: WorkloadEndpoint[] = [];
    for (const r of this.list(name, namespace)) {
      if (!isServing(r)) continue;
      out.push({
        id: r.instanceId,
        address: r.address,
        port: r.port,
        sidecarPort: r.sidecarPort,
        labels: r.labels,
        health: r.outlierUntilMs > nowMs ? 'DEGRADED' : 'HEALTHY',
        locality: r.locality,
      });
    }
    return out;
  }

  /** Hooks for the resource analysis (see {@link registryAnalysisHooks}). */
  analysisHooks(): AnalysisHooks {
    return registryAnalysisHooks(this);
  }

  /** Stops the sweep timer and releases blocked queries. */
  close(): void {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.queries.close(this.currentIndex);
    this.listeners.clear();
  }

  private require(instanceId: string): InstanceRecord {
    const r = this.instances.get(instanceId);
    if (!r) throw new NotFoundError(`instance ${instanceId}`);
    return r;
  }

  private emit(r: InstanceRecord, reason: ChangeReason, servicesChanged: boolean): void {
    const index = ++this.currentIndex;
    const key = serviceKey(r.service, r.namespace);
    this.serviceIndex.set(key, index);
    const change: RegistryChange = {
      index,
      instanceId: r.instanceId,
      service: r.service,
      namespace: r.namespace,
      host: serviceFqdn(r.service, r.namespace),
      reason,
      servicesChanged,
    };
    for (const listener of this.listeners) listener(change);
    this.queries.notify(key, index);
  }
}

function serviceKey(service: string, namespace: string): string {
  return `${namespace}/${service}`;
}
