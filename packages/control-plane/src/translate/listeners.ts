/**
 * Listeners of sidecars (inbound to the local app, outbound to the mesh) and of proxyless gRPC
 * clients (an `api_listener` per dial target, as gRPC's xDS resolver requests them).
 */
import { type EnvoyJson, hcmFilterChain, hcmWithRds, hcmWithRouteConfig, socketAddress } from './envoy.js';
import type { PortProtocol } from './model.js';
import { inboundClusterName, OUTBOUND_ROUTE_NAME, proxylessRouteName } from './names.js';
import type { ProxyNode } from './proxy-node.js';
import { tcpInboundChain } from './tcp.js';

/** Name of the sidecar's inbound listener. */
export const INBOUND_LISTENER_NAME = 'inbound';
/** Name of the sidecar's outbound listener. */
export const OUTBOUND_LISTENER_NAME = 'outbound';

/**
 * The inbound listener: everything arriving on the sidecar port goes to the local app. Its route
 * table is inline because it never changes while the proxy lives; a TCP app gets its bytes
 * through a TCP proxy instead.
 */
export function inboundListener(node: ProxyNode, appProtocol: PortProtocol = 'http'): EnvoyJson | undefined {
  if (node.inboundPort === undefined || node.appPort === undefined) return undefined;
  const cluster = inboundClusterName(node.appPort);
  if (appProtocol === 'tcp') {
    return {
      name: INBOUND_LISTENER_NAME,
      address: socketAddress('0.0.0.0', node.inboundPort),
      traffic_direction: 'INBOUND',
      filter_chains: [tcpInboundChain(node, cluster)],
    };
  }
  const routeConfig = {
    name: cluster,
    virtual_hosts: [
      {
        name: `inbound|http|${node.appPort}`,
        domains: ['*'],
        routes: [{ name: 'default', match: { prefix: '/' }, route: { cluster, timeout: '0s' } }],
      },
    ],
  };
  return {
    name: INBOUND_LISTENER_NAME,
    address: socketAddress('0.0.0.0', node.inboundPort),
    traffic_direction: 'INBOUND',
    filter_chains: [hcmFilterChain(hcmWithRouteConfig(`inbound_${node.inboundPort}`, routeConfig))],
  };
}

/** The outbound listener the app sends to (`Host: <service>`), routed by the `outbound` table. */
export function outboundListener(node: ProxyNode): EnvoyJson | undefined {
  if (node.outboundPort === undefined) return undefined;
  return {
    name: OUTBOUND_LISTENER_NAME,
    address: socketAddress('127.0.0.1', node.outboundPort),
    traffic_direction: 'OUTBOUND',
    filter_chains: [hcmFilterChain(hcmWithRds(`outbound_${node.outboundPort}`, OUTBOUND_ROUTE_NAME))],
  };
}

/** A proxyless client's listener for one dial target, pointing at its service port's routes. */
export function proxylessListener(target: string, hostFqdn: string, port: number): EnvoyJson {
  return {
    name: target,
    api_listener: { api_listener: hcmWithRds(target, proxylessRouteName(hostFqdn, port), true) },
  };
}
