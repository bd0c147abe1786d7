/**
 * xDS serving: keeps the translator fed from the store and the registry, turns changes into
 * debounced per-proxy snapshots for the ADS server, and tracks each change's convergence from the
 * ACKs and NACKs proxies send back. A proxy that NACKs keeps its last good configuration (the
 * client's guarantee) and the control plane records why.
 */
import { AdsServer, type XdsNode, XdsSnapshot } from '@meshwork/xds';
import type { Registry, RegistryChange } from '../registry/registry.js';
import type { ResourceStore, WatchEvent } from '../store/resource-store.js';
import { type ProxyNode, parseProxyNode } from '../translate/proxy-node.js';
import type { ProxySnapshot, ResourceKind } from '../translate/snapshot.js';
import { Translator } from '../translate/translator.js';
import { ChangeTracker, type NodePush } from './change-tracker.js';
import { Debouncer } from './debounce.js';
import { groupFor, type PushGroup, type PushGroups, snapshotInput } from './push-groups.js';

/** Proxies handed their snapshot per event-loop turn during a push. */
const PUSH_BATCH = 100;

/** What the control plane knows about one connected proxy. */
export interface ProxyState {
  xdsNode: XdsNode;
  node: ProxyNode;
  connectedAtMs: number;
  /** The last snapshot handed to the ADS server for this proxy. */
  sent: ProxySnapshot | undefined;
  /** Version of each kind in `sent`. */
  versions: Record<ResourceKind, string>;
  /** Types the proxy's streams have been served (it subscribes to them). */
  servedTypes: Set<string>;
  /** Recent NACKs from this proxy (newest last). */
  nacks: { typeUrl: string; version: string; error: string; atMs: number }[];
}

/** Options of {@link XdsService}. */
export interface XdsServiceOptions {
  store: ResourceStore;
  registry: Registry;
  /** Quiet period of push debouncing. Default 50 ms. */
  debounceMs?: number;
  /** Error sink for failures that are not any proxy's fault. */
  log?: (message: string, err?: unknown) => void;
}

/** The ADS side of the control plane. */
export class XdsService {
  readonly ads: AdsServer;
  readonly translator: Translator;
  readonly tracker = new ChangeTracker();
  private readonly proxies = new Map<string, ProxyState>();
  private readonly debouncer: Debouncer;
  private readonly log: (message: string, err?: unknown) => void;
  // Versions grow across control-plane restarts, so a reconnecting proxy never sees a reused one.
  private pushSeq = Date.now();
  private pushGeneration = 0;
  private lastAdmitted:
    | {
        snapshot: ProxySnapshot;
        pushSeq: number;
        versions: Record<ResourceKind, string>;
        prepared: XdsSnapshot;
      }
    | undefined;
  private stopWatch: (() => void) | undefined;
  private stopRegistry: (() => void) | undefined;

  constructor(private readonly options: XdsServiceOptions) {
    this.translator = new Translator(options.registry);
    this.log = options.log ?? ((m, e) => console.error(m, e ?? ''));
    this.debouncer = new Debouncer(() => this.push(), { quietMs: options.debounceMs ?? 50 });
    this.ads = new AdsServer({ resolveSnapshot: (node) => this.admit(node) });
    this.ads.on('push', (e) => this.proxies.get(e.nodeId)?.servedTypes.add(e.typeUrl));
    this.ads.on('ack', (e) => this.tracker.ack(e.nodeId, e.typeUrl, e.version));
    this.ads.on('current', (e) => this.tracker.ack(e.nodeId, e.typeUrl, e.version));
    this.ads.on('nack', (e) => this.onNack(e.nodeId, e.typeUrl, e.version, e.errorMessage));
    this.ads.on('disconnect', (e) => this.onDisconnect(e.nodeId));
    this.ads.on('error', (err) => this.log('xds: stream failure', err));
  }

  /** Loads the store, subscribes to its changes and to the registry, and starts serving ADS on `address`. */
  async start(address: string): Promise<number> {
    const { store, registry } = this.options;
    const revision = store.revision();
    this.translator.setResources(await store.list());
    this.stopWatch = store.watch(revision, (e) => this.onStoreEvent(e));
    this.stopRegistry = registry.onChange((c) => this.onRegistryChange(c));
    return this.ads.listen(address);
  }

  /** Pushes now whatever is waiting for the debounce timer. */
  flush(): void {
    this.debouncer.flush();
  }

  /** Every connected proxy. */
  list(): ProxyState[] {
    return [...this.proxies.values()];
  }

  /** One connected proxy. */
  get(nodeId: string): ProxyState | undefined {
    return this.proxies.get(nodeId);
  }

  /** Stops watching, ends every stream and the gRPC server. */
  async close(): Promise<void> {
    this.debouncer.cancel();
    this.stopWatch?.();
    this.stopRegistry?.();
    await this.ads.close();
  }

  private onStoreEvent(e: WatchEvent): void {
    this.translator.applyResource(e.type, e.resource);
    this.tracker.observe(String(e.revision));
    this.debouncer.trigger();
  }

  private onRegistryChange(c: RegistryChange): void {
    if (c.servicesChanged) this.translator.servicesChanged();
    this.translator.endpointsChanged([c.host]);
    this.tracker.observe(`registry-${c.index}`);
    this.debouncer.trigger();
  }

  /** First stream of a node: translate its configuration at once (no debounce for a newcomer). */
  private admit(xdsNode: XdsNode): XdsSnapshot {
    const node = parseProxyNode(xdsNode);
    const state: ProxyState = {
      xdsNode,
      node,
      connectedAtMs: Date.now(),
      sent: undefined,
      versions: { listeners: '', routes: '', clusters: '', endpoints: '' },
      servedTypes: new Set(),
      nacks: [],
    };
    this.proxies.set(node.id, state);
    const snapshot = this.translator.snapshot(node);
    // Newcomers with the same snapshot since the last push share one encoded snapshot.
    if (this.lastAdmitted?.snapshot !== snapshot || this.lastAdmitted.pushSeq !== this.pushSeq) {
      const version = String(this.pushSeq);
      const versions = { listeners: version, routes: version, clusters: version, endpoints: version };
      this.lastAdmitted = {
        snapshot,
        pushSeq: this.pushSeq,
        versions,
        prepared: XdsSnapshot.from(snapshotInput(snapshot, versions)),
      };
    }
    state.versions = { ...this.lastAdmitted.versions };
    state.sent = snapshot;
    return this.lastAdmitted.prepared;
  }

  /**
   * The debounced push: recompute every proxy, hand over only what changed. Proxies that had the
   * same snapshot and get the same new one share one diff and one encoded snapshot, so a push to a
   * thousand replicas of one workload costs one translation plus a thousand stream writes.
   */
  private push(): void {
    const version = String(++this.pushSeq);
    const pushes: NodePush[] = [];
    const plan: { state: ProxyState; next: ProxySnapshot; group: PushGroup }[] = [];
    const groups: PushGroups = new Map();
    for (const state of this.proxies.values()) {
      if (!state.sent) continue;
      const next = this.translator.snapshot(state.node);
      if (next === state.sent) continue;
      const group = groupFor(groups, state, next, version, this.log, this.ads.getSnapshot(state.node.id));
      if (!group) continue;
      if (!group.prepared) {
        // Same content in new objects: remember them so the next push compares pointers.
        state.sent = next;
        continue;
      }
      plan.push({ state, next, group });
      // Only types the proxy subscribes to will be answered; the others do not gate convergence.
      // Proxies served every type of their group (nearly all) share one map.
      let served = 0;
      for (const t of group.typeUrls) if (state.servedTypes.has(t)) served++;
      if (served === group.typeUrls.length) {
        group.awaited ??= new Map(group.typeUrls.map((t) => [t, version]));
        if (served > 0) pushes.push({ nodeId: state.node.id, versions: group.awaited });
      } else if (served > 0) {
        const awaited = group.typeUrls.filter((t) => state.servedTypes.has(t));
        pushes.push({ nodeId: state.node.id, versions: new Map(awaited.map((t) => [t, version])) });
      }
    }
    // Registered before any write, so no ACK can arrive before the change waits for it.
    const changeIds = this.tracker.pushed(pushes, this.proxies.size);
    this.deliver(plan, ++this.pushGeneration, 0, changeIds);
  }

  /**
   * Hands snapshots to the ADS server in batches, yielding between them so the first proxies'
   * responses reach the wire while later ones are still being prepared. A newer push supersedes
   * what is left of an older one (it diffs against what each proxy actually got).
   */
  private deliver(
    plan: { state: ProxyState; next: ProxySnapshot; group: PushGroup }[],
    generation: number,
    from: number,
    changeIds: readonly string[],
  ): void {
    if (generation !== this.pushGeneration) {
      this.tracker.superseded(
        plan.slice(from).map((p) => p.state.node.id),
        changeIds,
      );
      return;
    }
    const end = Math.min(plan.length, from + PUSH_BATCH);
    for (let i = from; i < end; i++) {
      const { state, next, group } = plan[i];
      if (this.proxies.get(state.node.id) !== state) continue;
      try {
        this.ads.setSnapshot(state.node.id, group.prepared!);
      } catch (err) {
        this.log(`xds: snapshot for ${state.node.id} rejected`, err);
        continue;
      }
      state.sent = next;
      state.versions = group.versions;
    }
    if (end < plan.length) setImmediate(() => this.deliver(plan, generation, end, changeIds));
    else this.tracker.delivered(changeIds);
  }

  private onNack(nodeId: string, typeUrl: string, version: string, error: string): void {
    this.tracker.nack(nodeId, typeUrl, version, error);
    const state = this.proxies.get(nodeId);
    if (!state) return;
    state.nacks.push({ typeUrl, version, error, atMs: Date.now() });
    if (state.nacks.length > 20) state.nacks.shift();
  }

  private onDisconnect(nodeId: string): void {
    if (this.ads.streams(nodeId).length > 0) return;
    // Forget the proxy: its next stream resolves a fresh snapshot and memory follows live proxies.
    this.proxies.delete(nodeId);
    this.ads.clearSnapshot(nodeId);
    this.tracker.disconnected(nodeId);
  }
}
