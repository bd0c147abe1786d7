/**
 * Names the translator gives to xDS resources. Cluster names follow Istio verbatim so tools and
 * people who know Istio read them at a glance: `outbound|<port>|<subset>|<host FQDN>` and
 * `inbound|<port>||`.
 */
import { CLUSTER_DOMAIN } from '../resources/hosts.js';

/** Name of the cluster that sends to `host:port`, optionally restricted to a subset. */
export function outboundClusterName(port: number, subset: string | undefined, hostFqdn: string): string {
  return `outbound|${port}|${subset ?? ''}|${hostFqdn}`;
}

/** Name of the cluster that delivers inbound traffic to the local app on `appPort`. */
export function inboundClusterName(appPort: number): string {
  return `inbound|${appPort}||`;
}

/** The parts of an outbound cluster name; `undefined` when `name` is not one. */
export function parseOutboundClusterName(
  name: string,
): { port: number; subset: string | undefined; host: string } | undefined {
  const parts = name.split('|');
  if (parts.length !== 4 || parts[0] !== 'outbound') return undefined;
  const port = Number(parts[1]);
  if (!Number.isInteger(port)) return undefined;
  return { port, subset: parts[2] === '' ? undefined : parts[2], host: parts[3] };
}

/** Name of the sidecar's outbound route configuration (RDS). */
export const OUTBOUND_ROUTE_NAME = 'outbound';

/** Name of a gateway's route configuration for one listener port. */
export function gatewayRouteName(port: number): string {
  return `http.${port}`;
}

/** Name of the route configuration a proxyless client gets for one service port. */
export function proxylessRouteName(hostFqdn: string, port: number): string {
  return `${hostFqdn}:${port}`;
}

/**
 * Every name a client may use for a Kubernetes-style service: from the same namespace the short
 * name works, from anywhere `name.ns`, `name.ns.svc` and the FQDN do.
 */
export function serviceAliases(name: string, namespace: string, includeShortName: boolean): string[] {
  const out = includeShortName ? [name] : [];
  out.push(`${name}.${namespace}`, `${name}.${namespace}.svc`, `${name}.${namespace}.svc.${CLUSTER_DOMAIN}`);
  return out;
}

/** `names` each with and without `:port`. */
export function withPorts(names: readonly string[], port: number): string[] {
  const out: string[] = [];
  for (const n of names) out.push(n, `${n}:${port}`);
  return out;
}
