import type { EventEmitter } from 'node:events';
import { AdsClient } from './client/ads-client.js';
import type { AdsClientOptions } from './client/client-options.js';
import { AdsServer } from './server/ads-server.js';
import { type SnapshotInput, XdsSnapshot } from './server/snapshot.js';

/**
 * Resolves with the first `event` whose argument satisfies `predicate`; rejects after
 * `timeoutMs`. Used by this package's tests.
 */
export function waitFor<T = any>(
  emitter: EventEmitter<any>,
  event: string,
  predicate: (value: T) => boolean = () => true,
  timeoutMs = 10_000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, listener);
      reject(new Error(`timed out waiting for "${event}"`));
    }, timeoutMs);
    const listener = (value: T) => {
      if (!predicate(value)) return;
      clearTimeout(timer);
      emitter.off(event, listener);
      resolve(value);
    };
    emitter.on(event, listener);
  });
}

/** Collects every `event` argument into an array (for "nothing else happened" assertions). */
export function record<T = any>(emitter: EventEmitter<any>, event: string): T[] {
  const seen: T[] = [];
  emitter.on(event, (value: T) => seen.push(value));
  return seen;
}

/** Resolves after `ms` (short, for "nothing more arrives" checks). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A minimal EDS cluster. */
export function edsCluster(name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name,
    type: 'EDS',
    eds_cluster_config: { eds_config: { ads: {}, resource_api_version: 'V3' } },
    connect_timeout: '1s',
    ...extra,
  };
}

/** A one-endpoint ClusterLoadAssignment. */
export function loadAssignment(clusterName: string, port: number): Record<string, unknown> {
  return {
    cluster_name: clusterName,
    endpoints: [
      {
        locality: { zone: 'a' },
        load_balancing_weight: 1,
        lb_endpoints: [
          { endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: port } } } },
        ],
      },
    ],
  };
}

/** A minimal HTTP listener routing everything to `cluster` through RDS route `routeName`. */
export function httpListener(name: string, port: number, routeName: string): Record<string, unknown> {
  return {
    name,
    address: { socket_address: { address: '127.0.0.1', port_value: port } },
    filter_chains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.http_connection_manager',
            typed_config: {
              '@type':
                'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
              stat_prefix: name,
              rds: { route_config_name: routeName, config_source: { ads: {}, resource_api_version: 'V3' } },
              http_filters: [
                {
                  name: 'envoy.filters.http.router',
                  typed_config: {
                    '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router',
                  },
                },
              ],
            },
          },
        ],
      },
    ],
  };
}

/** Fast reconnects for tests. */
export const BACKOFF = { initialMs: 20, maxMs: 200 };

/** LDS (one HTTP listener), CDS and EDS at one version. */
export function snapshot(
  version: string,
  clusters: Record<string, unknown>[],
  endpoints: Record<string, unknown>[] = [],
) {
  return {
    lds: { version, resources: [httpListener('http', 8080, 'http.8080')] },
    cds: { version, resources: clusters },
    eds: { version, resources: endpoints },
  };
}

/** An AdsServer on a loopback port, closed after the test. */
export async function startServer(t: { after(fn: () => unknown): void }, port = 0) {
  const server = new AdsServer();
  const bound = await server.listen(`127.0.0.1:${port}`);
  t.after(() => server.close());
  return { server, port: bound };
}

/** An AdsClient (node web-1) for `port`, closed after the test; not started. */
export function startClient(
  t: { after(fn: () => unknown): void },
  port: number,
  extra: Partial<AdsClientOptions> = {},
) {
  const client = new AdsClient({
    address: `127.0.0.1:${port}`,
    node: { id: 'web-1', cluster: 'web' },
    backoff: BACKOFF,
    ...extra,
  });
  t.after(() => client.close());
  return client;
}

/** Builds each snapshot from the one before, as a control plane does (see `XdsSnapshot.from`). */
export function snapshotChain(): (input: SnapshotInput) => XdsSnapshot {
  let last: XdsSnapshot | undefined;
  return (input) => {
    last = XdsSnapshot.from(input, last);
    return last;
  };
}
