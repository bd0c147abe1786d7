/**
 * Who a proxy is, read from its xDS `Node`: sidecars and gateways announce themselves through
 * `node.metadata` (mode, service, namespace, ports, labels); a client without that metadata is a
 * proxyless gRPC application.
 */
import { DEFAULT_NAMESPACE } from '../resources/resource.js';

/** How a proxy consumes configuration. */
export type ProxyMode = 'sidecar' | 'gateway' | 'proxyless';

/** A proxy as the translator sees it. */
export interface ProxyNode {
  id: string;
  mode: ProxyMode;
  /** Service the proxy fronts (sidecar) or `node.cluster`. */
  service?: string;
  namespace: string;
  /** Sidecar inbound listener port (other sidecars send here). */
  inboundPort?: number;
  /** Sidecar outbound listener port (the app sends here). */
  outboundPort?: number;
  /** Port the local app listens on. */
  appPort?: number;
  labels: Readonly<Record<string, string>>;
}

/** The parts of an xDS `Node` the translator reads. */
export interface XdsNode {
  id: string;
  cluster?: string;
  metadata?: Record<string, unknown> | null;
}

function readPort(value: unknown): number | undefined {
  const n = typeof value === 'string' && value !== '' ? Number(value) : value;
  return typeof n === 'number' && Number.isInteger(n) && n > 0 && n < 65536 ? n : undefined;
}

function readString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function readLabels(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof value !== 'object' || value === null) return out;
  for (const [k, v] of Object.entries(value)) if (typeof v === 'string') out[k] = v;
  return out;
}

/**
 * Reads a proxy's identity from its node. Istio's proxyless metadata key `NAMESPACE` is honoured
 * so an Istio-style bootstrap places the client in its namespace.
 */
export function parseProxyNode(node: XdsNode): ProxyNode {
  const md = node.metadata ?? {};
  const declared = readString(md.mode);
  const mode: ProxyMode = declared === 'sidecar' || declared === 'gateway' ? declared : 'proxyless';
  return {
    id: node.id,
    mode,
    service: readString(md.service) ?? readString(node.cluster),
    namespace: readString(md.namespace) ?? readString(md.NAMESPACE) ?? DEFAULT_NAMESPACE,
    inboundPort: readPort(md.inbound_port),
    outboundPort: readPort(md.outbound_port),
    appPort: readPort(md.app_port),
    labels: readLabels(md.labels),
  };
}
