/**
 * Dynamic configuration over ADS: an {@link AdsClient} feeding a {@link ConfigStore}, as Envoy's
 * `dynamic_resources.ads_config`. LDS and CDS are wildcard; RDS and EDS follow what the accepted
 * listeners and clusters reference. Every update is compiled before it is ACKed, so a bad one is
 * NACKed with the {@link ProxyConfigError} message as `error_detail` and the last good
 * configuration keeps serving. Losing the control plane changes nothing in the data path: the
 * client reconnects with backoff and resynchronises.
 *
 * Ordering follows xDS: a new EDS cluster is _warming_ until its ClusterLoadAssignment arrives (or
 * `warmTimeoutMs` passes); the cluster set, and the listener and route updates received after
 * it, wait in order, so no route points at a cluster that has no endpoints yet. Likewise a listener
 * naming a route configuration the proxy does not hold yet waits for it before it is bound or
 * swapped, so it never answers 404 for want of its routes.
 */
import { EventEmitter } from 'node:events';
import {
  AdsClient,
  type BackoffOptions,
  edsNamesOf,
  type JsonObject,
  reject,
  routeNamesOf,
  TYPE_URLS,
  type UpdateVerdict,
  type XdsUpdate,
} from '@meshwork/xds';
import { ProxyConfigError } from '../errors.js';
import { compileListener } from '../listener/listener-config.js';
import { compileRouteConfig } from '../router/route-config.js';
import { compileCluster } from '../upstream/cluster-config.js';
import { compileLoadAssignment } from '../upstream/load-assignment.js';
import type { ConfigStore } from './config-store.js';
import { checkUnique, resourcePath, sameNames } from './resource-names.js';
import { WarmingGate } from './warming-gate.js';

/** Options of an {@link AdsSource}. */
export interface AdsSourceOptions {
  /** The control plane's ADS endpoint, `host:port`. */
  address: string;
  /** This proxy's xDS node (see `proxyNode`). */
  node: { id: string; cluster?: string; metadata?: JsonObject } & JsonObject;
  /** Listeners from the bootstrap's `static_resources`, kept beside the dynamic ones. */
  staticListeners?: readonly unknown[];
  /** Clusters from the bootstrap's `static_resources`, kept beside the dynamic ones. */
  staticClusters?: readonly unknown[];
  /**
   * How long a new EDS cluster waits for its endpoints, and how long readiness waits for the
   * route configurations the first listeners name (Envoy's `initial_fetch_timeout`). Default 5 s.
   */
  warmTimeoutMs?: number;
  /** Use incremental (delta) xDS. */
  delta?: boolean;
  backoff?: BackoffOptions;
}

/** Events of an {@link AdsSource}. */
export interface AdsSourceEvents {
  /** An update is in force in the data path. */
  applied: [{ typeUrl: string; version: string }];
  /** An update was NACKed; the previous configuration keeps serving. */
  rejected: [{ typeUrl: string; version: string; error: Error }];
  /** A deferred (post-warming) apply failed after the update had been ACKed. */
  error: [Error];
  /** The first complete configuration is serving. */
  ready: [];
}

const ASSIGNMENT_TYPE = TYPE_URLS.CLUSTER_LOAD_ASSIGNMENT;

type StepKind = 'clusters' | 'routes' | 'listeners';

/** Keeps a {@link ConfigStore} in step with a control plane over ADS. */
export class AdsSource extends EventEmitter<AdsSourceEvents> {
  readonly client: AdsClient;
  private readonly warmTimeoutMs: number;
  private readonly staticListeners: readonly unknown[];
  private readonly staticClusters: readonly unknown[];
  /**
   * Deferred applies per kind, each kind in arrival order: clusters wait for their endpoints,
   * routes for the clusters before them, listeners for those and for their routes — no cycle.
   */
  private readonly tails: Record<StepKind, Promise<void>> = {
    clusters: Promise.resolve(),
    routes: Promise.resolve(),
    listeners: Promise.resolve(),
  };
  private readonly pending: Record<StepKind, number> = { clusters: 0, routes: 0, listeners: 0 };
  private clusterGate: WarmingGate | null = null;
  private readonly listenerGates = new Set<WarmingGate>();
  private readonly assignmentNames = new Set<string>();
  private clustersApplied = false;
  private listenersApplied = false;
  /** RDS and EDS names subscribed (sorted); nothing is asked for until something is named. */
  private routeNames: string[] = [];
  private edsNames: string[] = [];
  private isReady = false;
  private readyTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly store: ConfigStore,
    options: AdsSourceOptions,
  ) {
    super();
    this.on('error', () => {});
    this.warmTimeoutMs = options.warmTimeoutMs ?? 5_000;
    this.staticListeners = options.staticListeners ?? [];
    this.staticClusters = options.staticClusters ?? [];
    this.client = new AdsClient({
      address: options.address,
      node: options.node,
      delta: options.delta,
      backoff: options.backoff,
      onUpdate: (u) => this.onUpdate(u),
    });
    this.client.on('nack', (n) =>
      this.emit('rejected', { typeUrl: n.typeUrl, version: n.version, error: n.error }),
    );
    // Envoy subscribes to what accepted listeners and clusters reference, static ones included.
    this.client.on('update', (u) => this.follow(u.typeUrl));
    this.follow(TYPE_URLS.LISTENER);
    this.follow(TYPE_URLS.CLUSTER);
  }

  /** Connects (once). */
  start(): this {
    this.client.start();
    return this;
  }

  /** Whether the first complete configuration (clusters, listeners bound, their routes) serves. */
  get ready(): boolean {
    return this.isReady;
  }

  /** Resolves when {@link ready} first holds. */
  whenReady(): Promise<void> {
    if (this.isReady) return Promise.resolve();
    return new Promise((resolve) => this.once('ready', resolve));
  }

  /** Stops the client; the configuration in force stays in the store. */
  close(): void {
    this.closed = true;
    clearTimeout(this.readyTimer);
    this.clusterGate?.release();
    for (const gate of this.listenerGates) gate.release();
    this.client.close();
  }

  /** Keeps the RDS or EDS subscription in step with the listeners or clusters in force. */
  private follow(typeUrl: string): void {
    if (typeUrl === TYPE_URLS.LISTENER) {
      const dynamic = this.client.resources(typeUrl).values();
      const names = routeNamesOf([...(this.staticListeners as JsonObject[]), ...dynamic]);
      if (sameNames(names, this.routeNames)) return;
      this.routeNames = names;
      this.client.watch(TYPE_URLS.ROUTE_CONFIGURATION, names);
    } else if (typeUrl === TYPE_URLS.CLUSTER) {
      const dynamic = this.client.resources(typeUrl).values();
      const names = edsNamesOf([...(this.staticClusters as JsonObject[]), ...dynamic]);
      if (sameNames(names, this.edsNames)) return;
      this.edsNames = names;
      this.client.watch(ASSIGNMENT_TYPE, names);
    }
  }

  private async onUpdate(u: XdsUpdate): Promise<UpdateVerdict | undefined> {
    try {
      switch (u.typeUrl) {
        case TYPE_URLS.CLUSTER:
          return await this.onClusters(u);
        case ASSIGNMENT_TYPE:
          return this.onAssignments(u);
        case TYPE_URLS.LISTENER:
          return await this.onListeners(u);
        case TYPE_URLS.ROUTE_CONFIGURATION:
          return await this.onRoutes(u);
        default:
          return reject(new ProxyConfigError(u.typeUrl, 'resource type not supported by this proxy'));
      }
    } catch (err) {
      return reject(err as Error);
    }
  }

  /** CDS: validate now, apply once every new EDS cluster has its endpoints (or the timeout). */
  private async onClusters(u: XdsUpdate): Promise<undefined> {
    const clusters = [...this.staticClusters, ...u.resources.values()];
    checkUnique(
      clusters.map((c, i) => compileCluster(resourcePath('Cluster', c, i), c).name),
      'cluster',
    );
    const missing = edsNamesOf(u.resources.values()).filter((n) => !this.assignmentNames.has(n));
    const apply = () => {
      this.store.applyClusters(clusters, u.version);
      this.clustersApplied = true;
      this.applied(u);
    };
    if (missing.length === 0 && this.pending.clusters === 0) {
      apply();
      return undefined;
    }
    this.clusterGate?.release(); // a newer cluster set supersedes the one still warming
    const gate = new WarmingGate(missing);
    this.clusterGate = gate;
    this.defer('clusters', [], async () => {
      await gate.wait(this.warmTimeoutMs);
      if (this.clusterGate === gate) this.clusterGate = null;
      if (!this.closed) apply();
    });
    return undefined;
  }

  /** EDS: applied at once (the cluster manager keeps assignments for clusters still warming). */
  private onAssignments(u: XdsUpdate): undefined {
    const updated = u.updated.map((name) => u.resources.get(name)!);
    for (const [i, cla] of updated.entries())
      compileLoadAssignment(resourcePath('ClusterLoadAssignment', cla, i), cla);
    for (const name of u.removed) {
      this.store.clusters.removeLoadAssignment(name);
      this.assignmentNames.delete(name);
    }
    for (const cla of updated) this.store.applyLoadAssignment(cla, u.version);
    for (const name of u.updated) this.assignmentNames.add(name);
    this.store.versions.endpoints = { versionInfo: u.version, lastUpdated: new Date().toISOString() };
    this.clusterGate?.arrived(u.updated);
    this.applied(u);
    return undefined;
  }

  /**
   * LDS: when nothing waits, listeners are bound before the ACK, so a port conflict is NACKed.
   * Listeners naming route configurations not held yet warm first (deferred, after the ACK).
   */
  private async onListeners(u: XdsUpdate): Promise<undefined> {
    const listeners = [...this.staticListeners, ...u.resources.values()];
    for (const [i, l] of listeners.entries()) compileListener(l, resourcePath('Listener', l, i));
    const apply = async () => {
      await this.store.applyListeners(listeners, u.version);
      this.listenersApplied = true;
      this.applied(u);
    };
    const names = routeNamesOf(listeners as JsonObject[]);
    const missing = names.filter((n) => this.store.getRouteTable(n) === undefined);
    const waiting = this.pending.clusters + this.pending.routes + this.pending.listeners;
    if (waiting === 0 && missing.length === 0) {
      await apply();
      return undefined;
    }
    const gate = new WarmingGate(missing);
    this.listenerGates.add(gate);
    this.defer('listeners', [this.tails.clusters, this.tails.routes], async () => {
      // Routes that arrived while earlier steps ran count too.
      gate.arrived(names.filter((n) => this.store.getRouteTable(n) !== undefined));
      await gate.wait(this.warmTimeoutMs);
      this.listenerGates.delete(gate);
      if (!this.closed) await apply();
    });
    return undefined;
  }

  /** RDS: the complete set of watched route configurations replaces the previous one. */
  private async onRoutes(u: XdsUpdate): Promise<undefined> {
    const routes = [...u.resources.values()];
    for (const [i, r] of routes.entries()) compileRouteConfig(r, resourcePath('RouteConfiguration', r, i));
    const apply = () => {
      this.store.applyRouteConfigurations(routes, u.version, true);
      for (const gate of this.listenerGates) gate.arrived(u.resources.keys());
      this.applied(u);
    };
    // Behind a warming cluster set (routes may point at its clusters); never behind listeners.
    if (this.pending.clusters === 0 && this.pending.routes === 0) apply();
    else this.defer('routes', [this.tails.clusters], apply);
    return undefined;
  }

  /**
   * Runs `step` after the earlier steps of its kind and after `after`; a failure can no longer
   * NACK (the update was ACKed), so it is reported as an `error` event.
   */
  private defer(kind: StepKind, after: Promise<void>[], step: () => void | Promise<void>): void {
    this.pending[kind]++;
    this.tails[kind] = Promise.all([this.tails[kind], ...after])
      .then(step)
      .catch((err: Error) => {
        this.emit('error', err);
      })
      .finally(() => {
        this.pending[kind]--;
      });
  }

  private applied(u: XdsUpdate): void {
    this.emit('applied', { typeUrl: u.typeUrl, version: u.version });
    this.checkReady();
  }

  /**
   * Ready once clusters are applied and listeners bound, and the routes those listeners name
   * have arrived — or `warmTimeoutMs` after that, as Envoy stops waiting on an initial fetch.
   */
  private checkReady(): void {
    if (this.isReady || !this.clustersApplied || !this.listenersApplied) return;
    const have = new Set(this.store.dump().routes.map((r) => (r as { name?: string }).name));
    if (this.routeNames.every((n) => have.has(n))) {
      clearTimeout(this.readyTimer);
      this.isReady = true;
      this.emit('ready');
    } else if (this.readyTimer === undefined) {
      this.readyTimer = setTimeout(() => {
        if (this.isReady || this.closed) return;
        this.isReady = true;
        this.emit('ready');
      }, this.warmTimeoutMs);
      this.readyTimer.unref();
    }
  }
}
