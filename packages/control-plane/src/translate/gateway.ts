/**
 * Gateway proxies: a listener per `Gateway` server port, and per port a RouteConfiguration with a
 * virtual host per VirtualService bound to that Gateway (by `gateways: [name]` or `ns/name`).
 */
import { hostMatches, toFqdn } from '../resources/hosts.js';
import type { Gateway, VirtualService } from '../resources/kinds.js';
import { type EnvoyJson, hcmFilterChain, hcmWithRds, socketAddress } from './envoy.js';
import { destinationRuleFor, exportedTo, labelsMatch, type MeshConfig } from './mesh-config.js';
import { gatewayRouteName, outboundClusterName } from './names.js';
import type { ProxyNode } from './proxy-node.js';
import type { RouteContext } from './route-action.js';
import { vsRoutes } from './route-configs.js';
import { gatewayL4Listener, type L4Server, l4Destinations } from './tcp.js';
import { effectivePolicy, hashPolicy } from './traffic-policy.js';

/**
 * Protocols of the HTTP servers a gateway serves (TLS termination needs certificates, not yet
 * here); TCP and TLS passthrough servers are translated in tcp.ts.
 */
const HTTP_PROTOCOLS = new Set(['HTTP', 'HTTP2', 'GRPC']);

/** Gateways that select this proxy. A proxy without labels takes every Gateway (one-gateway meshes). */
export function gatewaysFor(config: MeshConfig, node: ProxyNode): Gateway[] {
  const unlabeled = Object.keys(node.labels).length === 0;
  return config.gateways.filter((gw) => unlabeled || labelsMatch(gw.spec.selector, node.labels));
}

/** One HTTP port of the gateway proxy and the servers (gateway, hosts) listening on it. */
interface PortBinding {
  port: number;
  servers: { gatewayRef: string; gatewayNs: string; hosts: ServerHost[]; httpsRedirect: boolean }[];
}

/** A Gateway server host: `ns/dnsName`, where `ns` says whose VirtualServices may bind it. */
interface ServerHost {
  /** `*` any namespace, else the one namespace (`.` resolved to the Gateway's). */
  namespace: string;
  dns: string;
}

function serverHost(host: string, gatewayNs: string): ServerHost {
  const slash = host.indexOf('/');
  if (slash < 0) return { namespace: '*', dns: host };
  const ns = host.slice(0, slash);
  return { namespace: ns === '.' ? gatewayNs : ns, dns: host.slice(slash + 1) };
}

/**
 * The VirtualService hosts a server admits: its namespace restriction must allow the
 * VirtualService's namespace, and the host must match — short names are read relative to the
 * VirtualService's namespace, as Istio does.
 */
function admittedHosts(vs: VirtualService, hosts: readonly ServerHost[]): string[] {
  const ns = vs.metadata.namespace;
  const allowed = hosts.filter((p) => p.namespace === '*' || p.namespace === ns);
  return (vs.spec.hosts ?? []).filter((h) => {
    const fqdn = toFqdn(h, ns);
    return allowed.some((p) => hostMatches(p.dns, h) || hostMatches(h, p.dns) || hostMatches(p.dns, fqdn));
  });
}

function portBindings(gateways: readonly Gateway[]): PortBinding[] {
  const byPort = new Map<number, PortBinding>();
  for (const gw of gateways) {
    for (const server of gw.spec.servers) {
      if (!HTTP_PROTOCOLS.has(server.port.protocol)) continue;
      let binding = byPort.get(server.port.number);
      if (!binding) byPort.set(server.port.number, (binding = { port: server.port.number, servers: [] }));
      binding.servers.push({
        gatewayRef: `${gw.metadata.namespace}/${gw.metadata.name}`,
        gatewayNs: gw.metadata.namespace,
        hosts: server.hosts.map((h) => serverHost(h, gw.metadata.namespace)),
        httpsRedirect: server.tls?.httpsRedirect === true,
      });
    }
  }
  return [...byPort.values()].sort((a, b) => a.port - b.port);
}

/** The gateway names a VirtualService binds to, fully qualified (`ns/name`). */
function boundGateways(vs: VirtualService): string[] {
  return (vs.spec.gateways ?? []).map((g) => (g.includes('/') ? g : `${vs.metadata.namespace}/${g}`));
}

function gatewayContext(config: MeshConfig, node: ProxyNode, vsNamespace: string): RouteContext {
  const portOf = (fqdn: string, explicit?: number) =>
    explicit ?? config.catalog.services.get(fqdn)?.ports[0]?.port ?? 80;
  return {
    namespace: vsNamespace,
    proxyless: false,
    clusterOf: (d) => {
      const fqdn = toFqdn(d.host, vsNamespace);
      return outboundClusterName(portOf(fqdn, d.port?.number), d.subset, fqdn);
    },
    hashPolicyOf: (d) => {
      const fqdn = toFqdn(d.host, vsNamespace);
      const dr = destinationRuleFor(
        config,
        fqdn,
        node.namespace,
        config.catalog.services.get(fqdn)?.namespace ?? vsNamespace,
      );
      return hashPolicy(
        effectivePolicy(dr, portOf(fqdn, d.port?.number), d.subset).loadBalancer?.consistentHash,
      );
    },
  };
}

function routeConfigFor(config: MeshConfig, node: ProxyNode, binding: PortBinding): EnvoyJson {
  const used = new Set<string>();
  const virtualHosts: EnvoyJson[] = [];
  for (const vs of config.virtualServices) {
    if (!exportedTo(vs.spec.exportTo, vs.metadata.namespace, node.namespace)) continue;
    const bound = boundGateways(vs);
    for (const server of binding.servers) {
      if (!bound.includes(server.gatewayRef)) continue;
      const hosts = admittedHosts(vs, server.hosts);
      const domains: string[] = [];
      for (const h of hosts) {
        for (const d of h === '*' ? ['*'] : [h, `${h}:${binding.port}`]) {
          if (!used.has(d)) {
            used.add(d);
            domains.push(d);
          }
        }
      }
      if (domains.length === 0) continue;
      const ctx = gatewayContext(config, node, vs.metadata.namespace);
      // Istio matches `match.gateways` against the gateway name as the VirtualService wrote it.
      const shortRef =
        server.gatewayNs === vs.metadata.namespace ? server.gatewayRef.split('/')[1] : server.gatewayRef;
      const routes = vsRoutes(vs, binding.port, shortRef, ctx, node);
      const vhost: EnvoyJson = {
        name: `${vs.metadata.namespace}/${vs.metadata.name}:${binding.port}`,
        domains,
        routes,
      };
      // Istio: `tls.httpsRedirect` makes the server answer plain HTTP with a 301 to https.
      if (server.httpsRedirect) vhost.require_tls = 'ALL';
      virtualHosts.push(vhost);
    }
  }
  return { name: gatewayRouteName(binding.port), virtual_hosts: virtualHosts, validate_clusters: false };
}

/** Gateway servers that carry TCP, or pass TLS through by SNI, by port. */
function l4Servers(gateways: readonly Gateway[]): Map<number, L4Server[]> {
  const byPort = new Map<number, L4Server[]>();
  for (const gw of gateways) {
    for (const server of gw.spec.servers) {
      const protocol = server.port.protocol;
      const passthrough = protocol === 'TLS' && server.tls?.mode === 'PASSTHROUGH';
      if (protocol !== 'TCP' && !passthrough) continue;
      let list = byPort.get(server.port.number);
      if (!list) byPort.set(server.port.number, (list = []));
      list.push({
        gatewayRef: `${gw.metadata.namespace}/${gw.metadata.name}`,
        gatewayNs: gw.metadata.namespace,
        port: server.port.number,
        passthrough,
      });
    }
  }
  return byPort;
}

/** Listeners and route configurations of a gateway proxy. */
export function gatewayResources(
  config: MeshConfig,
  node: ProxyNode,
): { listeners: EnvoyJson[]; routes: EnvoyJson[] } {
  const listeners: EnvoyJson[] = [];
  const routes: EnvoyJson[] = [];
  const gateways = gatewaysFor(config, node);
  const httpPorts = new Set(portBindings(gateways).map((b) => b.port));
  for (const [port, servers] of l4Servers(gateways)) {
    if (httpPorts.has(port)) continue; // one protocol per port: HTTP servers keep it
    const listener = gatewayL4Listener(config, node, port, servers, boundGateways);
    if (listener) listeners.push(listener);
  }
  for (const binding of portBindings(gatewaysFor(config, node))) {
    const routeName = gatewayRouteName(binding.port);
    listeners.push({
      name: `0.0.0.0_${binding.port}`,
      address: socketAddress('0.0.0.0', binding.port),
      traffic_direction: 'INBOUND',
      filter_chains: [hcmFilterChain(hcmWithRds(routeName, routeName))],
    });
    routes.push(routeConfigFor(config, node, binding));
  }
  return { listeners, routes };
}

/** Hosts (FQDN) the routes of a gateway send to, so the gateway gets clusters only for those. */
export function gatewayDestinations(config: MeshConfig, node: ProxyNode): Set<string> {
  const refs = new Set(gatewaysFor(config, node).map((g) => `${g.metadata.namespace}/${g.metadata.name}`));
  const out = new Set<string>();
  for (const vs of config.virtualServices) {
    if (!boundGateways(vs).some((g) => refs.has(g))) continue;
    for (const route of vs.spec.http ?? []) {
      for (const d of route.route ?? []) out.add(toFqdn(d.destination.host, vs.metadata.namespace));
      if (route.mirror) out.add(toFqdn(route.mirror.host, vs.metadata.namespace));
    }
    for (const host of l4Destinations(vs)) out.add(host);
  }
  return out;
}
