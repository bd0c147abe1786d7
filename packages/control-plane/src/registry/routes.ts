/**
 * The registry's REST routes: register, heartbeat, readiness, outlier reports, deregister, and the
 * discovery API for clients without a proxy (`GET /v1/registry/services/:name/instances`, a
 * Consul-style blocking query answered with `X-Meshwork-Index`).
 */
import { sendJson } from '../api/http.js';
import type { Route } from '../api/server.js';
import { ControlPlaneError } from '../errors.js';
import { parseDurationMs } from '../resources/duration.js';
import { DEFAULT_NAMESPACE } from '../resources/resource.js';
import { type InstanceRecord, isServing } from './instance.js';
import { parseRegistration } from './registration.js';
import type { Registry } from './registry.js';

/** The longest a blocking query may wait (Consul caps at 10 minutes; we keep it shorter). */
export const MAX_WAIT_MS = 300_000;

function badRequest(message: string): ControlPlaneError {
  return new ControlPlaneError('MESH_ERR_CP_BAD_REQUEST', message);
}

/** The public view of an instance (what discovery clients and `get` print). */
export function instanceView(r: InstanceRecord, nowMs = Date.now()): Record<string, unknown> {
  return {
    instanceId: r.instanceId,
    service: r.service,
    namespace: r.namespace,
    address: r.address,
    port: r.port,
    sidecarPort: r.sidecarPort,
    protocol: r.protocol,
    version: r.version,
    labels: r.labels,
    spiffeId: r.spiffeId,
    locality: r.locality,
    healthy: isServing(r),
    ready: r.ready,
    expired: r.expired,
    check: r.healthCheck
      ? { type: r.healthCheck.type, status: r.checkStatus, error: r.lastCheckError }
      : undefined,
    outlier: r.outlierUntilMs > nowMs,
    ttlMs: r.ttlMs,
    lastHeartbeatAgoMs: nowMs - r.lastHeartbeatMs,
  };
}

function parseWaitMs(text: string | null): number {
  if (text === null || text === '') return 0;
  const ms = /^\d+$/.test(text) ? Number(text) * 1000 : parseDurationMs(text);
  if (ms === undefined) throw badRequest(`wait: "${text}" is not a duration (e.g. "30s")`);
  return Math.min(ms, MAX_WAIT_MS);
}

function parseIndex(text: string | null): number {
  if (text === null || text === '') return 0;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw badRequest(`index: "${text}" is not a non-negative integer`);
  return n;
}

async function readReady(body: unknown): Promise<boolean> {
  const ready = (body as { ready?: unknown } | null)?.ready;
  if (typeof ready !== 'boolean') throw badRequest('ready: must be a boolean');
  return ready;
}

/** The registry's routes, for `createApiServer({ routes })`. */
export function registryRoutes(registry: Registry): Route[] {
  return [
    {
      method: 'POST',
      path: '/v1/registry/instances',
      async handler({ res, body }) {
        const r = registry.register(parseRegistration(await body()));
        // The index names the change: `GET /changes/registry-<index>` follows it to the proxies.
        sendJson(
          res,
          201,
          { instanceId: r.instanceId, ttlMs: r.ttlMs, spiffeId: r.spiffeId },
          { 'x-meshwork-index': String(registry.index()) },
        );
      },
    },
    {
      method: 'PUT',
      path: '/v1/registry/instances/:id/heartbeat',
      handler({ res, params }) {
        const r = registry.heartbeat(params.id);
        // `ready` lets the instance notice a readiness the registry lost (e.g. a status report
        // that failed while the control plane was down, or a stale one restored after a restart).
        sendJson(res, 200, { instanceId: r.instanceId, ttlMs: r.ttlMs, ready: r.ready });
      },
    },
    {
      method: 'PUT',
      path: '/v1/registry/instances/:id/status',
      async handler({ res, params, body }) {
        const r = registry.setReady(params.id, await readReady(await body()));
        sendJson(res, 200, instanceView(r));
      },
    },
    {
      method: 'POST',
      path: '/v1/registry/instances/:id/outlier',
      async handler({ res, params, body }) {
        const b = ((await body()) ?? {}) as { ejectionMs?: unknown };
        if (b.ejectionMs !== undefined && (typeof b.ejectionMs !== 'number' || b.ejectionMs <= 0)) {
          throw badRequest('ejectionMs: must be a positive number of milliseconds');
        }
        const r = registry.reportOutlier(params.id, b.ejectionMs as number | undefined);
        sendJson(res, 200, instanceView(r));
      },
    },
    {
      method: 'GET',
      path: '/v1/registry/instances/:id',
      handler({ res, params }) {
        const r = registry.get(params.id);
        if (!r) throw new ControlPlaneError('MESH_ERR_CP_NOT_FOUND', `instance ${params.id} not found`);
        sendJson(res, 200, instanceView(r));
      },
    },
    {
      method: 'DELETE',
      path: '/v1/registry/instances/:id',
      handler({ res, params }) {
        if (!registry.deregister(params.id)) {
          throw new ControlPlaneError('MESH_ERR_CP_NOT_FOUND', `instance ${params.id} not found`);
        }
        res.writeHead(204).end();
      },
    },
    {
      method: 'GET',
      path: '/v1/registry/services',
      handler({ res }) {
        const services = [...registry.registeredServices()].map((s) => ({
          ...s,
          instances: registry.list(s.name, s.namespace).length,
          healthy: registry.endpointsOf(s.name, s.namespace).length,
        }));
        sendJson(res, 200, { services }, { 'x-meshwork-index': String(registry.index()) });
      },
    },
    {
      method: 'GET',
      path: '/v1/registry/services/:name/instances',
      async handler({ req, res, params, query }) {
        const namespace = query.get('namespace') ?? DEFAULT_NAMESPACE;
        const index = parseIndex(query.get('index'));
        // As in Consul, an index without `wait` blocks for the longest wait.
        const waitMs = index > 0 ? (query.has('wait') ? parseWaitMs(query.get('wait')) : MAX_WAIT_MS) : 0;
        const healthyOnly = query.get('healthy') === 'true';
        let current = registry.serviceIndexOf(params.name, namespace);
        if (index > 0 && current <= index && waitMs > 0) {
          // A client that hangs up should not hold a waiter; the wait resolves on change or timeout.
          current = await registry.waitForChange(params.name, namespace, index, waitMs);
          if (req.destroyed) return;
        }
        const nowMs = Date.now();
        const instances = registry
          .list(params.name, namespace)
          .filter((r) => !healthyOnly || isServing(r))
          .map((r) => instanceView(r, nowMs));
        sendJson(
          res,
          200,
          { service: params.name, namespace, index: current, instances },
          { 'x-meshwork-index': String(current) },
        );
      },
    },
  ];
}
