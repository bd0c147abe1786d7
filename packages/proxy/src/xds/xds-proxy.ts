/**
 * A proxy configured by a control plane: the engine ({@link ProxyServer}) started from a bootstrap
 * (static resources, admin, node — all optional) plus an {@link AdsSource} for everything
 * dynamic. `/ready` says `PRE_INITIALIZING` until the first complete configuration serves.
 */
import { ProxyConfigError } from '../errors.js';
import { type ProxyOptions, ProxyServer } from '../proxy.js';
import type { AdsSource, AdsSourceOptions } from './ads-source.js';
import type { Bootstrap } from './bootstrap.js';
import type { Json } from './fields.js';

/** Options of {@link startXdsProxy}. */
export interface XdsProxyOptions extends ProxyOptions {
  /** Static part; default none (no static resources, no admin unless `adminPort`). */
  bootstrap?: Bootstrap;
  /** ADS server `host:port`; default the bootstrap's `dynamic_resources.ads_config`. */
  address?: string;
  /** The xDS node; default the bootstrap's `node`. */
  node?: AdsSourceOptions['node'];
  warmTimeoutMs?: number;
  delta?: boolean;
  backoff?: AdsSourceOptions['backoff'];
}

/** A running proxy and its xDS source. */
export interface XdsProxy {
  proxy: ProxyServer;
  source: AdsSource;
  /** Drains the proxy and closes the source. */
  close(): Promise<void>;
}

const EMPTY_BOOTSTRAP: Bootstrap = {
  node: { id: '', cluster: '' },
  listeners: [],
  clusters: [],
  admin: null,
  dynamicResources: null,
};

/**
 * Starts a proxy whose listeners, routes, clusters and endpoints come over ADS. Resolves once
 * the engine runs (not once configured: see `source.whenReady()`), so the admin listener
 * answers `/ready` while the first configuration is on its way.
 *
 * @example
 * const { proxy, source } = await startXdsProxy({ address: '127.0.0.1:15010', mode: 'sidecar',
 *   node: proxyNode({ nodeId: 'orders-1', service: 'orders', mode: 'sidecar', inboundPort: 15006,
 *   outboundPort: 15001, appPort: 8080 }), adminPort: 15000 });
 * await source.whenReady();
 */
export async function startXdsProxy(options: XdsProxyOptions): Promise<XdsProxy> {
  const bootstrap = options.bootstrap ?? EMPTY_BOOTSTRAP;
  const address = options.address ?? adsAddressOf(bootstrap);
  const node = options.node ?? (bootstrap.node as AdsSourceOptions['node']);
  if (node.id === '') throw new ProxyConfigError('node.id', 'an xDS proxy needs a node id');
  // Loaded here, not at the top: the xDS client and its protobuf codec cost ~17 MB, which a proxy
  // with a static bootstrap never needs.
  const { AdsSource } = await import('./ads-source.js');
  let source: AdsSource | undefined;
  const proxy = await ProxyServer.start(
    { ...bootstrap, node: { id: node.id, cluster: node.cluster ?? '' } },
    {
      ...options,
      initialized: () => source?.ready === true,
      staticNames: { listeners: bootstrap.listeners.map(nameOf), clusters: bootstrap.clusters.map(nameOf) },
    },
  );
  try {
    source = new AdsSource(proxy.store, {
      address,
      node,
      staticListeners: bootstrap.listeners,
      staticClusters: bootstrap.clusters,
      warmTimeoutMs: options.warmTimeoutMs,
      delta: options.delta,
      backoff: options.backoff,
    }).start();
  } catch (err) {
    await proxy.close(); // e.g. a node the xDS codec rejects: do not leave listeners bound
    throw err;
  }
  const started = source;
  return {
    proxy,
    source: started,
    async close() {
      started.close();
      await proxy.close();
    },
  };
}

function nameOf(resource: unknown): string {
  return String((resource as { name?: unknown }).name ?? '');
}

/**
 * The ADS server address of a bootstrap: `dynamic_resources.ads_config` names a gRPC service
 * whose `envoy_grpc.cluster_name` is a static cluster (its first endpoint is the control plane),
 * or a `google_grpc.target_uri`.
 */
export function adsAddressOf(bootstrap: Bootstrap): string {
  const path = 'dynamic_resources.ads_config';
  const ads = (bootstrap.dynamicResources as Json | null)?.ads_config as Json | undefined;
  if (ads === undefined) throw new ProxyConfigError(path, 'no ADS server: give --xds or an ads_config');
  const service = ((ads.grpc_services as Json[] | undefined) ?? [])[0];
  const googleTarget = (service?.google_grpc as Json | undefined)?.target_uri;
  if (typeof googleTarget === 'string' && googleTarget !== '') return googleTarget;
  const clusterName = (service?.envoy_grpc as Json | undefined)?.cluster_name;
  if (typeof clusterName !== 'string')
    throw new ProxyConfigError(`${path}.grpc_services[0]`, 'needs envoy_grpc.cluster_name or google_grpc');
  const cluster = (bootstrap.clusters as Json[]).find((c) => c.name === clusterName);
  const la = cluster?.load_assignment as Json | undefined;
  const lbEndpoint = ((la?.endpoints as Json[] | undefined)?.[0]?.lb_endpoints as Json[] | undefined)?.[0];
  const sa = ((lbEndpoint?.endpoint as Json | undefined)?.address as Json | undefined)?.socket_address as
    | Json
    | undefined;
  if (sa === undefined)
    throw new ProxyConfigError(
      `${path}.grpc_services[0].envoy_grpc.cluster_name`,
      `no static cluster "${clusterName}" with an endpoint address`,
    );
  const host = String(sa.address);
  return `${host.includes(':') ? `[${host}]` : host}:${Number(sa.port_value)}`;
}
