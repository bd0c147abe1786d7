/**
 * RouteConfigurations: the sidecar's outbound table (a virtual host per visible service port),
 * one per service port for proxyless gRPC clients, and one per gateway listener port.
 */
import { toFqdn } from '../resources/hosts.js';
import type { Destination, HTTPRoute } from '../resources/istio-networking.js';
import type { VirtualService } from '../resources/kinds.js';
import type { EnvoyJson } from './envoy.js';
import { destinationRuleFor, type MeshConfig, matchApplies, meshRouteFor } from './mesh-config.js';
import type { ServiceModel } from './model.js';
import {
  OUTBOUND_ROUTE_NAME,
  outboundClusterName,
  proxylessRouteName,
  serviceAliases,
  withPorts,
} from './names.js';
import type { ProxyNode } from './proxy-node.js';
import { defaultRoute, type RouteContext, translateHttpRoute } from './route-action.js';
import { effectivePolicy, hashPolicy } from './traffic-policy.js';

/** Names a client may use for a service, from a proxy in `proxyNamespace`. */
export function namesOf(svc: ServiceModel, proxyNamespace: string): string[] {
  if (svc.origin === 'service-entry') return [svc.fqdn];
  return serviceAliases(svc.name, svc.namespace, svc.namespace === proxyNamespace);
}

function routeContext(
  config: MeshConfig,
  node: ProxyNode,
  vsNamespace: string,
  self?: ServiceModel,
  selfPort?: number,
): RouteContext {
  const portFor = (d: Destination, fqdn: string): number => {
    if (d.port?.number !== undefined) return d.port.number;
    if (self && selfPort !== undefined && fqdn === self.fqdn) return selfPort;
    return config.catalog.services.get(fqdn)?.ports[0]?.port ?? 80;
  };
  return {
    namespace: vsNamespace,
    proxyless: node.mode === 'proxyless',
    clusterOf(d) {
      const fqdn = toFqdn(d.host, vsNamespace);
      return outboundClusterName(portFor(d, fqdn), d.subset, fqdn);
    },
    hashPolicyOf(d) {
      const fqdn = toFqdn(d.host, vsNamespace);
      const svcNs = config.catalog.services.get(fqdn)?.namespace ?? vsNamespace;
      const dr = destinationRuleFor(config, fqdn, node.namespace, svcNs);
      return hashPolicy(effectivePolicy(dr, portFor(d, fqdn), d.subset).loadBalancer?.consistentHash);
    },
  };
}

/**
 * True when an HTTP route (or one of its match alternatives) applies on `port` through `gateway`
 * for the client proxy `node`: Istio's `sourceLabels` and `sourceNamespace` narrow a rule to the
 * client workloads they name, so other proxies never get it (rather than matching everything).
 */
function routeApplies(
  route: HTTPRoute,
  port: number,
  gateway: string,
  node: ProxyNode,
): HTTPRoute | undefined {
  if (!route.match || route.match.length === 0) return route;
  const kept = route.match.filter((m) => matchApplies(m, port, gateway, node));
  if (kept.length === 0) return undefined;
  return kept.length === route.match.length ? route : { ...route, match: kept };
}

/** Routes of a VirtualService on one port, as `node` sees them; `gateway` is `mesh` for sidecars. */
export function vsRoutes(
  vs: VirtualService,
  port: number,
  gateway: string,
  ctx: RouteContext,
  node: ProxyNode,
): EnvoyJson[] {
  const out: EnvoyJson[] = [];
  (vs.spec.http ?? []).forEach((route, i) => {
    const applicable = routeApplies(route, port, gateway, node);
    if (applicable) out.push(...translateHttpRoute(applicable, i, ctx));
  });
  return out;
}

/** Routes of one service port: its VirtualService's, or one default route to the service. */
function serviceRoutes(config: MeshConfig, node: ProxyNode, svc: ServiceModel, port: number): EnvoyJson[] {
  const vs = meshRouteFor(config, svc.fqdn, node.namespace);
  if (vs)
    return vsRoutes(vs, port, 'mesh', routeContext(config, node, vs.metadata.namespace, svc, port), node);
  const cluster = outboundClusterName(port, undefined, svc.fqdn);
  const ctx = routeContext(config, node, svc.namespace, svc, port);
  return [defaultRoute(cluster, ctx.hashPolicyOf({ host: svc.fqdn, port: { number: port } }))];
}

/** Virtual hosts of one service: a vhost per port; bare names go to the first port. */
function serviceVirtualHosts(
  config: MeshConfig,
  node: ProxyNode,
  svc: ServiceModel,
  used: Set<string>,
): EnvoyJson[] {
  const names = namesOf(svc, node.namespace);
  const out: EnvoyJson[] = [];
  svc.ports.forEach((p, i) => {
    const candidates = i === 0 ? withPorts(names, p.port) : names.map((n) => `${n}:${p.port}`);
    // Envoy rejects a route table where two virtual hosts claim one domain.
    const domains = candidates.filter((d) => !used.has(d));
    if (domains.length === 0) return;
    for (const d of domains) used.add(d);
    out.push({ name: `${svc.fqdn}:${p.port}`, domains, routes: serviceRoutes(config, node, svc, p.port) });
  });
  return out;
}

/** The sidecar's outbound RouteConfiguration over the services in scope. */
export function outboundRouteConfig(
  config: MeshConfig,
  node: ProxyNode,
  services: readonly ServiceModel[],
): EnvoyJson {
  const used = new Set<string>();
  const virtualHosts: EnvoyJson[] = [];
  for (const svc of services) virtualHosts.push(...serviceVirtualHosts(config, node, svc, used));
  return { name: OUTBOUND_ROUTE_NAME, virtual_hosts: virtualHosts, validate_clusters: false };
}

/**
 * A proxyless client's RouteConfiguration for one service port. Its single virtual host lists
 * every name the client may dial (gRPC matches the channel's target authority against it).
 */
export function proxylessRouteConfig(
  config: MeshConfig,
  node: ProxyNode,
  svc: ServiceModel,
  portIndex: number,
): EnvoyJson {
  const port = svc.ports[portIndex].port;
  const names = namesOf(svc, node.namespace);
  const domains = portIndex === 0 ? withPorts(names, port) : names.map((n) => `${n}:${port}`);
  return {
    name: proxylessRouteName(svc.fqdn, port),
    virtual_hosts: [{ name: `${svc.fqdn}:${port}`, domains, routes: serviceRoutes(config, node, svc, port) }],
  };
}

/** Listener names a proxyless client may request for one service port (the dial targets). */
export function proxylessTargets(svc: ServiceModel, proxyNamespace: string, portIndex: number): string[] {
  const names = namesOf(svc, proxyNamespace);
  const port = svc.ports[portIndex].port;
  return portIndex === 0 ? withPorts(names, port) : names.map((n) => `${n}:${port}`);
}
