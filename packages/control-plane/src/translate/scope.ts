/**
 * Which services a proxy may see. A `Sidecar` resource's egress hosts (`namespace/dnsName`, with
 * `.` for the proxy's own namespace and `*` wildcards) narrow it, so a proxy's memory follows what
 * it calls rather than the size of the mesh.
 */
import { hostMatches } from '../resources/hosts.js';
import type { Sidecar } from '../resources/kinds.js';
import { exportedTo, labelsMatch, type MeshConfig } from './mesh-config.js';
import type { ServiceModel } from './model.js';
import type { ProxyNode } from './proxy-node.js';

/** Namespace whose selector-less Sidecar is the mesh-wide default, as in Istio. */
export const ROOT_NAMESPACE = 'istio-system';

/** The Sidecar resource that scopes a proxy, if any. */
export function sidecarFor(config: MeshConfig, node: ProxyNode): Sidecar | undefined {
  let nsDefault: Sidecar | undefined;
  let rootDefault: Sidecar | undefined;
  for (const sc of config.sidecars) {
    const selector = sc.spec.workloadSelector?.labels;
    const ns = sc.metadata.namespace;
    if (ns === node.namespace) {
      if (selector && Object.keys(selector).length > 0) {
        if (labelsMatch(selector, node.labels)) return sc;
      } else nsDefault ??= sc;
    } else if (ns === ROOT_NAMESPACE && !selector) rootDefault ??= sc;
  }
  return nsDefault ?? rootDefault;
}

/** A compiled egress host: namespace pattern and host pattern. */
export interface EgressHost {
  namespace: string;
  host: string;
}

/** Compiles egress `hosts` entries (`ns/dnsName`, `.` the proxy's namespace, `~` none). */
export function compileEgressHosts(hosts: readonly string[], proxyNamespace: string): EgressHost[] {
  const out: EgressHost[] = [];
  for (const entry of hosts) {
    const slash = entry.indexOf('/');
    const ns = slash < 0 ? '*' : entry.slice(0, slash);
    const host = slash < 0 ? entry : entry.slice(slash + 1);
    if (ns === '~') continue;
    out.push({ namespace: ns === '.' ? proxyNamespace : ns, host });
  }
  return out;
}

function compileEgress(sidecar: Sidecar, proxyNamespace: string): EgressHost[] {
  return (sidecar.spec.egress ?? []).flatMap((l) => compileEgressHosts(l.hosts, proxyNamespace));
}

/** Whether one of the compiled egress hosts names `svc`. */
export function visibleThrough(egress: readonly EgressHost[], svc: ServiceModel): boolean {
  for (const e of egress) {
    if (e.namespace !== '*' && e.namespace !== svc.namespace) continue;
    if (hostMatches(e.host, svc.fqdn) || e.host === svc.name) return true;
  }
  return false;
}

/** The services visible to a proxy, sorted by FQDN, and a key naming that scope for caching. */
export interface ProxyScope {
  key: string;
  services: ServiceModel[];
}

/** Computes a proxy's scope. */
export function scopeFor(config: MeshConfig, node: ProxyNode): ProxyScope {
  const sidecar = sidecarFor(config, node);
  const all = [...config.catalog.services.values()]
    .filter((svc) => exportedTo(svc.exportTo, svc.namespace, node.namespace))
    .sort((a, b) => (a.fqdn < b.fqdn ? -1 : a.fqdn > b.fqdn ? 1 : 0));
  if (!sidecar?.spec.egress || sidecar.spec.egress.length === 0) {
    return { key: `all|${node.namespace}`, services: all };
  }
  const egress = compileEgress(sidecar, node.namespace);
  return {
    key: `sidecar|${sidecar.metadata.namespace}/${sidecar.metadata.name}|${node.namespace}`,
    services: all.filter((svc) => visibleThrough(egress, svc)),
  };
}
