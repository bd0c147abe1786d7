/**
 * TCP and TLS traffic: VirtualService `tcp` routes (and `tls` routes by SNI at gateways) become
 * Envoy `tcp_proxy` filter chains. Where they apply:
 *
 * - a sidecar's inbound listener, when the local app's port speaks TCP;
 * - sidecar egress listeners that a `Sidecar` resource binds to an explicit port
 *   (`egress[].port`, `bind`, default 127.0.0.1 — Istio's `captureMode: NONE` listeners): TCP ports
 *   forward to the service behind them, HTTP ports route by Host like the outbound listener;
 * - gateway servers with `protocol: TCP`, and `protocol: TLS` with `tls.mode: PASSTHROUGH`, which
 *   choose a route by the ClientHello's SNI without terminating TLS.
 */
import { toFqdn } from '../resources/hosts.js';
import type { Destination, L4MatchAttributes, RouteDestination } from '../resources/istio-networking.js';
import type { Sidecar, VirtualService } from '../resources/kinds.js';
import {
  type EnvoyJson,
  EXTENSION_TYPES,
  FILTER_NAMES,
  hcmFilterChain,
  hcmWithRds,
  socketAddress,
  tlsInspector,
} from './envoy.js';
import { type MeshConfig, matchApplies, meshRouteFor } from './mesh-config.js';
import type { ServiceModel } from './model.js';
import { OUTBOUND_ROUTE_NAME, outboundClusterName } from './names.js';
import type { ProxyNode } from './proxy-node.js';
import { compileEgressHosts, visibleThrough } from './scope.js';
import { protocolOf } from './service-catalog.js';

/** Where a TCP proxy sends a connection: one cluster, or a weighted pick per connection. */
export type TcpTarget =
  | { cluster: string }
  | { weighted_clusters: { clusters: { name: string; weight: number }[] } };

/** A filter chain holding one `tcp_proxy`, optionally behind a `filter_chain_match`. */
export function tcpProxyChain(statPrefix: string, target: TcpTarget, match?: EnvoyJson): EnvoyJson {
  return {
    ...(match ? { filter_chain_match: match } : {}),
    filters: [
      {
        name: FILTER_NAMES.TCP_PROXY,
        typed_config: { '@type': EXTENSION_TYPES.TCP_PROXY, stat_prefix: statPrefix, ...target },
      },
    ],
  };
}

/** The target of a route's destinations; undefined when no destination can take traffic. */
export function targetOf(
  routes: readonly RouteDestination[],
  clusterOf: (d: Destination) => string,
): TcpTarget | undefined {
  if (routes.length === 1) return { cluster: clusterOf(routes[0].destination) };
  const clusters = routes
    .filter((r) => (r.weight ?? 0) > 0)
    .map((r) => ({ name: clusterOf(r.destination), weight: r.weight! }));
  if (clusters.length === 0) return undefined;
  return clusters.length === 1 ? { cluster: clusters[0].name } : { weighted_clusters: { clusters } };
}

/** Whether an L4 match (absent: anything) applies on `port` through `gateway` for `node`. */
function l4Applies(
  matches: readonly L4MatchAttributes[] | undefined,
  port: number,
  gateway: string,
  node: ProxyNode,
): boolean {
  return !matches || matches.length === 0 || matches.some((m) => matchApplies(m, port, gateway, node));
}

/** Resolves a destination of a route written in `vsNamespace` to its cluster (port default `port`). */
export function l4ClusterOf(config: MeshConfig, vsNamespace: string, port: number) {
  return (d: Destination): string => {
    const fqdn = toFqdn(d.host, vsNamespace);
    const explicit = d.port?.number;
    const svcPorts = config.catalog.services.get(fqdn)?.ports ?? [];
    const fallback = svcPorts.some((p) => p.port === port) ? port : (svcPorts[0]?.port ?? port);
    return outboundClusterName(explicit ?? fallback, d.subset, fqdn);
  };
}

/** The first `tcp` route of `vs` applying on `port` through `gateway` for `node`, as a target. */
export function tcpRouteTarget(
  config: MeshConfig,
  vs: VirtualService,
  port: number,
  gateway: string,
  node: ProxyNode,
): TcpTarget | undefined {
  for (const route of vs.spec.tcp ?? []) {
    if (!l4Applies(route.match, port, gateway, node)) continue;
    return targetOf(route.route ?? [], l4ClusterOf(config, vs.metadata.namespace, port));
  }
  return undefined;
}

/** The sidecar's inbound listener for a TCP app: bytes go to the app untouched. */
export function tcpInboundChain(node: ProxyNode, inboundCluster: string): EnvoyJson {
  return tcpProxyChain(`inbound_${node.inboundPort}`, { cluster: inboundCluster });
}

/**
 * Listeners a `Sidecar` resource binds to explicit ports. A TCP port forwards to the service behind
 * it (the first of its visible services that has that port, by FQDN) as its VirtualService's
 * `tcp` routes say; an HTTP port routes by Host with the outbound route table.
 */
export function egressListeners(
  config: MeshConfig,
  node: ProxyNode,
  sidecar: Sidecar | undefined,
  visible: readonly ServiceModel[],
): EnvoyJson[] {
  const out: EnvoyJson[] = [];
  const taken = new Set<number>();
  for (const egress of sidecar?.spec.egress ?? []) {
    const port = egress.port?.number;
    if (port === undefined || taken.has(port)) continue;
    taken.add(port);
    const bind = egress.bind ?? '127.0.0.1';
    const name = `${bind}_${port}`;
    const base = { name, address: socketAddress(bind, port), traffic_direction: 'OUTBOUND' };
    if (protocolOf(egress.port?.protocol ?? egress.port?.name) !== 'tcp') {
      out.push({
        ...base,
        filter_chains: [hcmFilterChain(hcmWithRds(`outbound_${port}`, OUTBOUND_ROUTE_NAME))],
      });
      continue;
    }
    const dest = egressDestination(egress.hosts, port, node.namespace, visible);
    if (!dest) continue;
    const vs = meshRouteFor(config, dest.svc.fqdn, node.namespace);
    const target = (vs && tcpRouteTarget(config, vs, dest.port, 'mesh', node)) ?? {
      cluster: outboundClusterName(dest.port, undefined, dest.svc.fqdn),
    };
    out.push({ ...base, filter_chains: [tcpProxyChain(`outbound_${port}`, target)] });
  }
  return out;
}

/**
 * The service (and its port) behind a TCP egress port: as in Istio, the first named service that
 * has that very port; failing that, when the hosts name one service with one TCP port, that port —
 * so an app can reach `db:5432` on a local port of its choosing (15432) when 5432 is taken.
 */
function egressDestination(
  hosts: readonly string[],
  port: number,
  proxyNamespace: string,
  visible: readonly ServiceModel[],
): { svc: ServiceModel; port: number } | undefined {
  const egress = compileEgressHosts(hosts, proxyNamespace);
  const named = visible.filter((s) => visibleThrough(egress, s));
  const exact = named.find((s) => s.ports.some((p) => p.port === port));
  if (exact) return { svc: exact, port };
  if (named.length !== 1) return undefined;
  const tcpPorts = named[0].ports.filter((p) => p.protocol === 'tcp');
  return tcpPorts.length === 1 ? { svc: named[0], port: tcpPorts[0].port } : undefined;
}

/** A gateway server that carries TCP or passes TLS through, with the gateway that declares it. */
export interface L4Server {
  gatewayRef: string;
  gatewayNs: string;
  port: number;
  passthrough: boolean;
}

/**
 * A gateway listener for TCP servers (one chain: the first `tcp` route of the bound
 * VirtualServices) or TLS passthrough servers (a chain per `tls` route match, selected by SNI).
 * Undefined when no route applies.
 */
export function gatewayL4Listener(
  config: MeshConfig,
  node: ProxyNode,
  port: number,
  servers: readonly L4Server[],
  bound: (vs: VirtualService) => string[],
): EnvoyJson | undefined {
  const chains: EnvoyJson[] = [];
  const passthrough = servers.some((s) => s.passthrough);
  const seenNames = new Set<string>();
  for (const vs of config.virtualServices) {
    const refs = bound(vs);
    for (const server of servers) {
      if (!refs.includes(server.gatewayRef)) continue;
      const shortRef =
        server.gatewayNs === vs.metadata.namespace ? server.gatewayRef.split('/')[1] : server.gatewayRef;
      if (!server.passthrough) {
        if (chains.length > 0) continue; // one TCP route per port: the oldest VirtualService wins
        const target = tcpRouteTarget(config, vs, port, shortRef, node);
        if (target) chains.push(tcpProxyChain(`tcp_${port}`, target));
        continue;
      }
      const clusterOf = l4ClusterOf(config, vs.metadata.namespace, port);
      for (const route of vs.spec.tls ?? []) {
        for (const m of route.match) {
          if (!l4Applies([m], port, shortRef, node)) continue;
          const names = m.sniHosts.filter((h) => !seenNames.has(h));
          const target = targetOf(route.route ?? [], clusterOf);
          if (names.length === 0 || !target) continue;
          for (const h of names) seenNames.add(h);
          chains.push(
            tcpProxyChain(`tls_${port}`, target, { server_names: names, transport_protocol: 'tls' }),
          );
        }
      }
    }
  }
  if (chains.length === 0) return undefined;
  return {
    name: `0.0.0.0_${port}`,
    address: socketAddress('0.0.0.0', port),
    traffic_direction: 'INBOUND',
    ...(passthrough ? { listener_filters: [tlsInspector()] } : {}),
    filter_chains: chains,
  };
}

/** Hosts the `tcp` and `tls` routes of a VirtualService send to (FQDNs). */
export function l4Destinations(vs: VirtualService): string[] {
  const out: string[] = [];
  for (const route of [...(vs.spec.tcp ?? []), ...(vs.spec.tls ?? [])]) {
    for (const d of route.route ?? []) out.push(toFqdn(d.destination.host, vs.metadata.namespace));
  }
  return out;
}
