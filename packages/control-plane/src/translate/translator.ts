/**
 * The translator: Istio resources + registered workloads → a per-proxy xDS snapshot. It keeps the
 * last translation in caches so work follows the change: an endpoint change recomputes only the
 * assignments of the clusters of the services it touched; a config change recomputes listeners,
 * routes and clusters once per distinct proxy scope (not once per proxy).
 */
import { serviceFqdn, toFqdn } from '../resources/hosts.js';
import type { StoredResource } from '../resources/resource.js';
import { inboundCluster, outboundCluster, subsetNames } from './clusters.js';
import { clusterLoadAssignment, type EndpointPortMode } from './endpoints.js';
import type { EnvoyJson } from './envoy.js';
import { gatewayDestinations, gatewayResources } from './gateway.js';
import { inboundListener, outboundListener, proxylessListener } from './listeners.js';
import { buildMeshConfig, destinationRuleFor, labelsMatch, type MeshConfig } from './mesh-config.js';
import type { EndpointSource, PortProtocol, ServiceModel, WorkloadEndpoint } from './model.js';
import { parseOutboundClusterName } from './names.js';
import type { ProxyNode } from './proxy-node.js';
import { outboundRouteConfig, proxylessRouteConfig, proxylessTargets } from './route-configs.js';
import { type ProxyScope, scopeFor, sidecarFor } from './scope.js';
import { emptySnapshot, type ProxySnapshot } from './snapshot.js';
import { egressListeners } from './tcp.js';

/** Listeners, routes and clusters shared by every proxy with the same scope and mode. */
interface SharedConfig {
  routes: Map<string, EnvoyJson>;
  clusters: Map<string, EnvoyJson>;
  listeners: Map<string, EnvoyJson>;
}

/** Resources that belong to one sidecar alone. */
interface OwnResources {
  listeners: EnvoyJson[];
  inboundCluster: EnvoyJson | undefined;
  /** What the local app speaks (its service's port protocol), which the inbound cluster follows. */
  appProtocol: PortProtocol;
}

/** Counters that show translation is incremental (exported through the debug API and tests). */
export interface TranslatorStats {
  configBuilds: number;
  sharedConfigBuilds: number;
  assignmentBuilds: number;
  clusterBuilds: number;
}

/** Translates the mesh into per-proxy snapshots. */
export class Translator {
  readonly stats: TranslatorStats = {
    configBuilds: 0,
    sharedConfigBuilds: 0,
    assignmentBuilds: 0,
    clusterBuilds: 0,
  };
  private readonly resources = new Map<string, StoredResource>();
  private config: MeshConfig | undefined;
  private shared = new Map<string, SharedConfig>();
  /** Assignments by `cluster|portMode`, and which of those keys belong to each host. */
  private readonly assignments = new Map<string, EnvoyJson>();
  private readonly assignmentKeysByHost = new Map<string, Set<string>>();
  private readonly own = new WeakMap<ProxyNode, OwnResources>();
  private readonly scopes = new Map<string, ProxyScope>();
  private clusters = new Map<string, EnvoyJson>();
  private previousClusters = new Map<string, EnvoyJson>();
  /** Full snapshots by scope and ports; cleared by any change. */
  private readonly snapshots = new Map<string, ProxySnapshot>();
  /** Per node, its snapshot key under one mesh config. */
  private readonly snapshotKeys = new WeakMap<
    ProxyNode,
    { config: MeshConfig; key: string; appProtocol: PortProtocol }
  >();

  constructor(private readonly source: EndpointSource) {}

  /** Replaces every resource (initial load, or a resync). */
  setResources(resources: Iterable<StoredResource>): void {
    this.resources.clear();
    for (const r of resources) this.resources.set(resourceKey(r), r);
    this.invalidateConfig();
    this.clearAssignments();
  }

  /** Applies one store event; returns the hosts whose endpoints may have changed. */
  applyResource(type: 'ADDED' | 'MODIFIED' | 'DELETED', resource: StoredResource): string[] {
    const key = resourceKey(resource);
    const previous = this.resources.get(key);
    if (type === 'DELETED') this.resources.delete(key);
    else this.resources.set(key, resource);
    this.invalidateConfig();
    const hosts = new Set([...endpointHostsOf(resource), ...(previous ? endpointHostsOf(previous) : [])]);
    // A wildcard DestinationRule may reach any host; recomputing everything is the honest answer.
    if ([...hosts].some((h) => h.includes('*'))) this.clearAssignments();
    else for (const host of hosts) this.invalidateAssignments(host);
    return [...hosts];
  }

  /** The registry changed instances of these services (FQDNs); only their assignments are redone. */
  endpointsChanged(hosts: Iterable<string>): void {
    for (const host of hosts) this.invalidateAssignments(host);
  }

  /** The set of registered services changed (a first instance arrived or the last one left). */
  servicesChanged(): void {
    this.invalidateConfig();
  }

  /** The indexed mesh configuration (built on demand). */
  meshConfig(): MeshConfig {
    if (!this.config) {
      this.config = buildMeshConfig(this.resources.values(), this.source);
      this.stats.configBuilds++;
    }
    return this.config;
  }

  /** The full snapshot for one proxy. */
  snapshot(node: ProxyNode): ProxySnapshot {
    // Proxies with the same scope and the same ports get the very same snapshot object, so the ADS
    // layer diffs and encodes it once for all of them. A node's key depends on the mesh config
    // only: it is worked out once per config, not once per push.
    const config = this.meshConfig();
    let keyed = this.snapshotKeys.get(node);
    if (keyed?.config !== config) {
      const appProtocol = node.mode === 'sidecar' ? appProtocolOf(config, node) : 'http';
      const sharedKey = this.sharedFor(node).key;
      const key = `${sharedKey}|${node.inboundPort}|${node.outboundPort}|${node.appPort}|${appProtocol}`;
      keyed = { config, key, appProtocol };
      this.snapshotKeys.set(node, keyed);
    }
    const { key, appProtocol } = keyed;
    const cached = this.snapshots.get(key);
    if (cached) return cached;
    const { shared } = this.sharedFor(node);
    const out = emptySnapshot();
    for (const [name, r] of shared.routes) out.routes.set(name, r);
    for (const [name, c] of shared.clusters) out.clusters.set(name, c);
    for (const [name, l] of shared.listeners) out.listeners.set(name, l);
    if (node.mode === 'sidecar') {
      const own = this.ownResources(node, appProtocol);
      for (const l of own.listeners) out.listeners.set(l.name as string, l);
      if (own.inboundCluster) out.clusters.set(own.inboundCluster.name as string, own.inboundCluster);
    }
    const portMode: EndpointPortMode = node.mode === 'proxyless' ? 'direct' : 'sidecar';
    for (const cluster of out.clusters.values()) {
      if (cluster.type !== 'EDS') continue;
      const name = cluster.name as string;
      out.endpoints.set(name, this.assignment(name, portMode));
    }
    this.snapshots.set(key, out);
    return out;
  }

  /**
   * A sidecar's own listeners and inbound cluster depend only on its ports; they are built once per
   * node object so every push reuses them (and the ADS layer's encoding of them).
   */
  private ownResources(node: ProxyNode, appProtocol: PortProtocol): OwnResources {
    let own = this.own.get(node);
    if (!own || own.appProtocol !== appProtocol) {
      const listeners = [inboundListener(node, appProtocol), outboundListener(node)].filter(
        (l): l is EnvoyJson => l !== undefined,
      );
      own = {
        listeners,
        inboundCluster: node.appPort === undefined ? undefined : inboundCluster(node.appPort, appProtocol),
        appProtocol,
      };
      this.own.set(node, own);
    }
    return own;
  }

  private sharedFor(node: ProxyNode): { key: string; shared: SharedConfig } {
    const config = this.meshConfig();
    const scopeKey = `${node.mode}|${node.namespace}|${labelKey(node.labels)}`;
    let scope = this.scopes.get(scopeKey);
    if (!scope) this.scopes.set(scopeKey, (scope = scopeFor(config, node)));
    // Routes narrowed by `sourceLabels` differ between proxies of one scope: key by labels then.
    const key =
      node.mode === 'gateway'
        ? `gateway|${node.namespace}|${labelKey(node.labels)}`
        : `${node.mode}|${scope.key}${sourceScoped(config) ? `|${labelKey(node.labels)}` : ''}`;
    let shared = this.shared.get(key);
    if (shared) return { key, shared };
    this.stats.sharedConfigBuilds++;
    shared = { routes: new Map(), clusters: new Map(), listeners: new Map() };
    const proxyless = node.mode === 'proxyless';
    let services = scope.services;
    if (node.mode === 'gateway') {
      const gw = gatewayResources(config, node);
      for (const r of gw.routes) shared.routes.set(r.name as string, r);
      for (const l of gw.listeners) shared.listeners.set(l.name as string, l);
      const dests = gatewayDestinations(config, node);
      services = services.filter((s) => dests.has(s.fqdn));
    } else if (node.mode === 'sidecar') {
      const rc = outboundRouteConfig(config, node, services);
      shared.routes.set(rc.name as string, rc);
      for (const l of egressListeners(config, node, sidecarFor(config, node), services))
        shared.listeners.set(l.name as string, l);
    } else {
      for (const svc of services) this.addProxyless(config, node, svc, shared);
    }
    for (const svc of services) this.addClusters(config, node, svc, proxyless, shared.clusters);
    this.shared.set(key, shared);
    return { key, shared };
  }

  private addProxyless(config: MeshConfig, node: ProxyNode, svc: ServiceModel, shared: SharedConfig): void {
    svc.ports.forEach((p, i) => {
      const rc = proxylessRouteConfig(config, node, svc, i);
      shared.routes.set(rc.name as string, rc);
      for (const target of proxylessTargets(svc, node.namespace, i)) {
        if (!shared.listeners.has(target))
          shared.listeners.set(target, proxylessListener(target, svc.fqdn, p.port));
      }
    });
  }

  private addClusters(
    config: MeshConfig,
    node: ProxyNode,
    svc: ServiceModel,
    proxyless: boolean,
    into: Map<string, EnvoyJson>,
  ): void {
    const dr = destinationRuleFor(config, svc.fqdn, node.namespace, svc.namespace);
    const drKey = dr ? `${dr.metadata.uid}@${dr.metadata.resourceVersion}` : '-';
    for (const port of svc.ports) {
      for (const subset of [undefined, ...subsetNames(dr)]) {
        // Everything a cluster is built from, so a VirtualService change reuses the very objects.
        const key = `${svc.fqdn}|${svc.resolution}|${port.port}|${port.targetPort}|${subset}|${drKey}|${proxyless}`;
        let cluster = this.clusters.get(key) ?? this.previousClusters.get(key);
        if (!cluster) {
          cluster = outboundCluster({ service: svc, port, subset, destinationRule: dr, proxyless });
          this.stats.clusterBuilds++;
        }
        this.clusters.set(key, cluster);
        into.set(cluster.name as string, cluster);
      }
    }
  }

  /** The (cached) assignment of one EDS cluster for a port mode. */
  assignment(clusterName: string, portMode: EndpointPortMode): EnvoyJson {
    const key = `${clusterName}|${portMode}`;
    const cached = this.assignments.get(key);
    if (cached) return cached;
    this.stats.assignmentBuilds++;
    const parsed = parseOutboundClusterName(clusterName);
    const cla = clusterLoadAssignment(
      clusterName,
      parsed ? this.endpointsFor(parsed.host, parsed.subset) : [],
      portMode,
    );
    this.assignments.set(key, cla);
    if (parsed) {
      let keys = this.assignmentKeysByHost.get(parsed.host);
      if (!keys) this.assignmentKeysByHost.set(parsed.host, (keys = new Set()));
      keys.add(key);
    }
    return cla;
  }

  private endpointsFor(hostFqdn: string, subset: string | undefined): WorkloadEndpoint[] {
    const config = this.meshConfig();
    const svc = config.catalog.services.get(hostFqdn);
    const out: WorkloadEndpoint[] = [...(config.catalog.staticEndpoints.get(hostFqdn) ?? [])];
    if (svc && svc.origin !== 'service-entry') out.push(...this.source.endpointsOf(svc.name, svc.namespace));
    if (!subset) return out;
    const dr = destinationRuleFor(config, hostFqdn, svc?.namespace ?? '', svc?.namespace ?? '');
    const selector = dr?.spec.subsets?.find((s) => s.name === subset)?.labels;
    // A subset nobody defines selects nothing, as in Envoy (the route then answers 503).
    if (!dr?.spec.subsets?.some((s) => s.name === subset)) return [];
    return out.filter((ep) => labelsMatch(selector, ep.labels));
  }

  private invalidateConfig(): void {
    // Clusters used since the last rebuild stay reusable for one more; the rest are dropped.
    this.previousClusters = this.clusters;
    this.clusters = new Map();
    this.config = undefined;
    this.shared = new Map();
    this.scopes.clear();
    this.snapshots.clear();
  }

  private invalidateAssignments(host: string): void {
    const keys = this.assignmentKeysByHost.get(host);
    if (!keys) return;
    this.snapshots.clear();
    for (const key of keys) this.assignments.delete(key);
    this.assignmentKeysByHost.delete(host);
  }

  private clearAssignments(): void {
    this.snapshots.clear();
    this.assignments.clear();
    this.assignmentKeysByHost.clear();
  }
}

function resourceKey(r: StoredResource): string {
  return `${r.kind}/${r.metadata.namespace}/${r.metadata.name}`;
}

/**
 * The protocol of the sidecar's local app: its service's port served on the app port (or the
 * service's only port). gRPC and HTTP/2 apps get an HTTP/2 inbound cluster.
 */
function appProtocolOf(config: MeshConfig, node: ProxyNode): PortProtocol {
  if (node.service === undefined) return 'http';
  const ports = config.catalog.services.get(serviceFqdn(node.service, node.namespace))?.ports ?? [];
  const port =
    ports.find((p) => (p.targetPort ?? p.port) === node.appPort) ??
    (ports.length === 1 ? ports[0] : undefined);
  return port?.protocol ?? 'http';
}

const sourceScopedCache = new WeakMap<MeshConfig, boolean>();

/** Whether any VirtualService match names `sourceLabels` (computed once per mesh config). */
function sourceScoped(config: MeshConfig): boolean {
  let scoped = sourceScopedCache.get(config);
  if (scoped === undefined) {
    scoped = config.virtualServices.some((vs) =>
      (vs.spec.http ?? []).some((r) => (r.match ?? []).some((m) => m.sourceLabels !== undefined)),
    );
    sourceScopedCache.set(config, scoped);
  }
  return scoped;
}

const labelKeys = new WeakMap<Readonly<Record<string, string>>, string>();

/** `k=v,…` in key order, computed once per labels object (a node's labels do not change). */
function labelKey(labels: Readonly<Record<string, string>>): string {
  let key = labelKeys.get(labels);
  if (key === undefined) {
    key = Object.keys(labels)
      .sort()
      .map((k) => `${k}=${labels[k]}`)
      .join(',');
    labelKeys.set(labels, key);
  }
  return key;
}

/** Hosts whose endpoint sets a resource influences (subset labels, static endpoints, ports). */
export function endpointHostsOf(r: StoredResource): string[] {
  const ns = r.metadata.namespace;
  const spec = r.spec as Record<string, unknown>;
  switch (r.kind) {
    case 'DestinationRule':
      return [toFqdn(String(spec.host), ns)];
    case 'Service':
    case 'Endpoints':
      return [serviceFqdn(r.metadata.name, ns)];
    case 'ServiceEntry':
      return ((spec.hosts as string[] | undefined) ?? []).map((h) => toFqdn(h, ns));
    case 'ServiceInstance':
      return [toFqdn(String(spec.service), ns)];
    default:
      return [];
  }
}
