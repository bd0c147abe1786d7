/**
 * Registry membership across control-plane restarts. The registry lives in memory, and an
 * instance re-registers only when its next heartbeat is refused — up to a third of its TTL in
 * which a restarted control plane would push empty endpoints to every proxy, and the mesh would
 * answer 503 although nothing but the control plane changed. The live instances are saved (every
 * second, atomically) and, at start, those still within their TTL are registered again before
 * any proxy is served; one that really died simply expires after one TTL, as it would have.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { InstanceRecord, RegistrationRequest } from './instance.js';
import type { Registry } from './registry.js';

/** One saved instance. */
interface SavedInstance {
  request: RegistrationRequest;
  lastHeartbeatMs: number;
  ready: boolean;
}

/** Options of {@link persistRegistry}. */
export interface RegistryPersistenceOptions {
  /** How often the live instances are saved. Default 1 s. */
  intervalMs?: number;
  now?: () => number;
  log?: (message: string, err?: unknown) => void;
}

/** A running persistence. */
export interface RegistryPersistence {
  /** Instances registered again from the file at start. */
  readonly restored: number;
  /** Saves once more and stops. */
  close(): void;
}

/**
 * Restores the instances saved in `file` that are still within their TTL, then keeps the file
 * up to date.
 *
 * @example
 * const persistence = persistRegistry(registry, join(dataDir, 'registry.json'));
 * // … on shutdown:
 * persistence.close();
 */
export function persistRegistry(
  registry: Registry,
  file: string,
  options: RegistryPersistenceOptions = {},
): RegistryPersistence {
  const now = options.now ?? Date.now;
  const log = options.log ?? (() => {});
  mkdirSync(dirname(file), { recursive: true });
  const restored = restore(registry, file, now(), log);
  const save = () => {
    try {
      const instances = registry
        .list()
        .filter((r) => !r.expired)
        .map(saved);
      writeFileSync(`${file}.tmp`, JSON.stringify({ savedAtMs: now(), instances }));
      renameSync(`${file}.tmp`, file);
    } catch (err) {
      log(`registry: cannot save ${file}`, err);
    }
  };
  const timer = setInterval(save, options.intervalMs ?? 1_000);
  timer.unref();
  return {
    restored,
    close() {
      clearInterval(timer);
      save();
    },
  };
}

function saved(r: InstanceRecord): SavedInstance {
  const request: RegistrationRequest = {
    service: r.service,
    namespace: r.namespace,
    instanceId: r.instanceId,
    address: r.address,
    port: r.port,
    sidecarPort: r.sidecarPort,
    protocol: r.protocol === 'grpc' || r.protocol === 'tcp' ? r.protocol : 'http',
    version: r.version,
    labels: r.labels,
    serviceAccount: r.serviceAccount,
    healthCheck: r.healthCheck,
    ttlMs: r.ttlMs,
    locality: r.locality,
  };
  return { request, lastHeartbeatMs: r.lastHeartbeatMs, ready: r.ready };
}

function restore(
  registry: Registry,
  file: string,
  nowMs: number,
  log: (m: string, e?: unknown) => void,
): number {
  let instances: SavedInstance[];
  try {
    instances = (JSON.parse(readFileSync(file, 'utf8')) as { instances: SavedInstance[] }).instances;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') log(`registry: ignoring unreadable ${file}`, err);
    return 0;
  }
  let count = 0;
  for (const s of instances) {
    if (nowMs - s.lastHeartbeatMs >= (s.request.ttlMs ?? 0)) continue; // it would have expired
    try {
      registry.register(s.request);
      if (!s.ready) registry.setReady(s.request.instanceId!, false);
      count++;
    } catch (err) {
      log(`registry: cannot restore ${s.request.instanceId}`, err);
    }
  }
  return count;
}
