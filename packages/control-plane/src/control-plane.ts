/**
 * The composition root of `meshd`: store → registry + health checks → translator → ADS server,
 * and the REST API composed from the resource, registry and xDS route lists.
 *
 * @example
 * const cp = await startControlPlane({ restPort: 0, xdsPort: 0 });
 * console.log(cp.url, cp.xdsAddress);
 * await cp.close();
 */
import { join } from 'node:path';
import { resourceRoutes } from './api/resource-routes.js';
import { type ApiServer, createApiServer, type Route } from './api/server.js';
import { HealthChecker } from './registry/health-checker.js';
import { Registry } from './registry/registry.js';
import { persistRegistry, type RegistryPersistence } from './registry/registry-persistence.js';
import { registryRoutes } from './registry/routes.js';
import { openStore } from './store/open-store.js';
import type { ResourceStore } from './store/resource-store.js';
import { xdsRoutes } from './xds/routes.js';
import { XdsService } from './xds/xds-service.js';

/** Options of {@link startControlPlane}. */
export interface ControlPlaneOptions {
  /** REST port; 0 picks a free one. Default 15080. */
  restPort?: number;
  /** ADS (gRPC) port; 0 picks a free one. Default 15010. */
  xdsPort?: number;
  /** Interface both servers bind. Default `127.0.0.1`. */
  host?: string;
  /**
   * Store URL (`memory://`, `file://<path>`, `etcd://host:port`) or an open store. Default:
   * `file://<dataDir>/resources.jsonl` with a data directory, `memory://` without.
   */
  store?: string | ResourceStore;
  /** Push debounce quiet period. Default 50 ms. */
  debounceMs?: number;
  /** Where the embedded store keeps its journal. */
  dataDir?: string;
  /** Default TTL of registered instances. Default 10 s. */
  instanceTtlMs?: number;
  /** Extra REST routes (e.g. the dashboard's). */
  extraRoutes?: readonly Route[];
  log?: (message: string, err?: unknown) => void;
}

/** A running control plane. */
export interface ControlPlane {
  /** `http://host:restPort`. */
  url: string;
  restPort: number;
  xdsPort: number;
  /** `host:xdsPort`, what proxies and xDS bootstraps point at. */
  xdsAddress: string;
  store: ResourceStore;
  registry: Registry;
  xds: XdsService;
  api: ApiServer;
  /** Stops serving and closes the store (when it opened it). */
  close(): Promise<void>;
}

/** Starts the control plane. */
export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const host = options.host ?? '127.0.0.1';
  const ownsStore = typeof options.store !== 'object';
  const store =
    typeof options.store === 'object'
      ? options.store
      : await openStore(
          options.store ??
            (options.dataDir ? `file://${join(options.dataDir, 'resources.jsonl')}` : 'memory://'),
        );
  const registry = new Registry({ defaultTtlMs: options.instanceTtlMs });
  const checker = new HealthChecker(registry);
  // With a data directory, instances survive a restart: proxies are never served a registry
  // emptied by the restart itself (see registry-persistence.ts).
  const persistence: RegistryPersistence | undefined = options.dataDir
    ? persistRegistry(registry, join(options.dataDir, 'registry.json'), { log: options.log })
    : undefined;
  const xds = new XdsService({ store, registry, debounceMs: options.debounceMs, log: options.log });
  let api: ApiServer | undefined;
  try {
    const xdsPort = await xds.start(`${host.includes(':') ? `[${host}]` : host}:${options.xdsPort ?? 15010}`);
    api = await createApiServer({
      host,
      port: options.restPort ?? 15080,
      routes: [
        ...resourceRoutes(store, { hooks: registry.analysisHooks() }),
        ...registryRoutes(registry),
        ...xdsRoutes(xds),
        ...(options.extraRoutes ?? []),
      ],
    });
    const started = api;
    return {
      url: api.url,
      restPort: api.port,
      xdsPort,
      xdsAddress: `${host}:${xdsPort}`,
      store,
      registry,
      xds,
      api,
      async close() {
        await started.close();
        await xds.close();
        persistence?.close();
        checker.close();
        registry.close();
        if (ownsStore) await store.close();
      },
    };
  } catch (err) {
    await api?.close();
    await xds.close();
    persistence?.close();
    checker.close();
    registry.close();
    if (ownsStore) await store.close();
    throw err;
  }
}
