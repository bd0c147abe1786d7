/**
 * The xDS `Node` a sidecar or gateway announces to the control plane. The translator reads who
 * the proxy is from it: `node.id` is the instance id, `node.cluster` the service, and
 * `node.metadata` carries the mode, namespace, ports and labels it builds listeners from.
 */
import { ProxyConfigError } from '../errors.js';

/** What a proxy says about itself (the `meshwork proxy --xds` flags). */
export interface ProxyIdentity {
  /** Instance id (`orders-1`), or `gateway`. */
  nodeId: string;
  /** Service the proxy fronts; `node.cluster`. */
  service: string;
  /** Default `default`. */
  namespace?: string;
  mode: 'sidecar' | 'gateway';
  /** Sidecar inbound listener port (other sidecars send here). */
  inboundPort?: number;
  /** Sidecar outbound listener port (the app sends here). */
  outboundPort?: number;
  /** Port the local app listens on. */
  appPort?: number;
  /** Workload labels (Gateway selectors match them). */
  labels?: Readonly<Record<string, string>>;
}

/** An xDS v3 `Node` in Envoy JSON. */
export interface XdsNodeJson {
  id: string;
  cluster: string;
  metadata: Record<string, unknown>;
  [key: string]: unknown;
}

/**
 * Builds the node. A sidecar must name its inbound, outbound and app ports: without them the
 * control plane cannot build its listeners, so the mistake is reported here rather than as a
 * proxy that silently gets no configuration.
 *
 * @example
 * proxyNode({ nodeId: 'orders-1', service: 'orders', mode: 'sidecar',
 *   inboundPort: 15006, outboundPort: 15001, appPort: 8080 });
 */
export function proxyNode(identity: ProxyIdentity): XdsNodeJson {
  if (identity.nodeId === '') throw new ProxyConfigError('node.id', 'required (--node-id)');
  if (identity.service === '') throw new ProxyConfigError('node.cluster', 'required (--service)');
  if (identity.mode === 'sidecar') {
    for (const [key, flag] of [
      ['inboundPort', '--inbound-port'],
      ['outboundPort', '--outbound-port'],
      ['appPort', '--app-port'],
    ] as const) {
      if (identity[key] === undefined)
        throw new ProxyConfigError(`node.metadata.${snake(key)}`, `a sidecar needs ${flag}`);
    }
  }
  const metadata: Record<string, unknown> = {
    mode: identity.mode,
    service: identity.service,
    namespace: identity.namespace ?? 'default',
    labels: { ...identity.labels },
  };
  if (identity.inboundPort !== undefined) metadata.inbound_port = identity.inboundPort;
  if (identity.outboundPort !== undefined) metadata.outbound_port = identity.outboundPort;
  if (identity.appPort !== undefined) metadata.app_port = identity.appPort;
  return { id: identity.nodeId, cluster: identity.service, metadata };
}

function snake(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}
