/**
 * Validation of registration bodies. Every problem is reported with the field that is wrong, so a
 * workload with a typo learns exactly what to fix.
 */
import { ControlPlaneError } from '../errors.js';
import {
  HEALTH_CHECK_DEFAULTS,
  type HealthCheckSpec,
  type InstanceRecord,
  type RegistrationRequest,
  spiffeIdOf,
} from './instance.js';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const INSTANCE_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,252}$/;

function fail(field: string, reason: string): never {
  throw new ControlPlaneError('MESH_ERR_CP_REGISTRY', `registration: ${field}: ${reason}`, { status: 400 });
}

function isPort(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v > 0 && v < 65536;
}

function positiveInt(field: string, v: unknown): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0)
    fail(field, `must be a positive integer, got ${JSON.stringify(v)}`);
  return v;
}

function stringMap(field: string, v: unknown): Record<string, string> | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(field, 'must be an object of strings');
  for (const [k, val] of Object.entries(v))
    if (typeof val !== 'string') fail(`${field}.${k}`, 'must be a string');
  return v as Record<string, string>;
}

/** Checks a registration body; throws `MESH_ERR_CP_REGISTRY` (400) naming the bad field. */
export function parseRegistration(body: unknown): RegistrationRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    fail('(body)', 'must be a JSON object');
  const b = body as Record<string, unknown>;
  if (typeof b.service !== 'string' || !DNS_LABEL.test(b.service)) {
    fail('service', 'is required and must be a DNS label (lower-case letters, digits, "-")');
  }
  if (b.namespace !== undefined && (typeof b.namespace !== 'string' || !DNS_LABEL.test(b.namespace))) {
    fail('namespace', 'must be a DNS label');
  }
  if (b.instanceId !== undefined && (typeof b.instanceId !== 'string' || !INSTANCE_ID.test(b.instanceId))) {
    fail('instanceId', 'must be letters, digits, ".", "_", ":" or "-"');
  }
  if (typeof b.address !== 'string' || b.address === '') fail('address', 'is required (an IP address)');
  if (!isPort(b.port)) fail('port', 'is required and must be an integer port (1-65535)');
  if (b.sidecarPort !== undefined && !isPort(b.sidecarPort)) fail('sidecarPort', 'must be an integer port');
  if (b.protocol !== undefined && b.protocol !== 'http' && b.protocol !== 'grpc' && b.protocol !== 'tcp')
    fail('protocol', 'must be "http", "grpc" or "tcp"');
  if (b.version !== undefined && typeof b.version !== 'string') fail('version', 'must be a string');
  if (
    b.serviceAccount !== undefined &&
    (typeof b.serviceAccount !== 'string' || !DNS_LABEL.test(b.serviceAccount))
  ) {
    fail('serviceAccount', 'must be a DNS label');
  }
  if (b.locality !== undefined && typeof b.locality !== 'string')
    fail('locality', 'must be "region/zone/subzone"');
  positiveInt('ttlMs', b.ttlMs);
  stringMap('labels', b.labels);
  if (b.healthCheck !== undefined) parseHealthCheck(b.healthCheck);
  return b as unknown as RegistrationRequest;
}

/** Checks a health-check spec and applies defaults. */
export function parseHealthCheck(v: unknown): HealthCheckSpec {
  if (typeof v !== 'object' || v === null) fail('healthCheck', 'must be an object');
  const h = v as Record<string, unknown>;
  if (h.type !== 'http' && h.type !== 'tcp' && h.type !== 'grpc')
    fail('healthCheck.type', 'must be "http", "tcp" or "grpc"');
  if (h.path !== undefined && (typeof h.path !== 'string' || !h.path.startsWith('/'))) {
    fail('healthCheck.path', 'must start with "/"');
  }
  if (h.port !== undefined && !isPort(h.port)) fail('healthCheck.port', 'must be an integer port');
  const spec: HealthCheckSpec = {
    ...HEALTH_CHECK_DEFAULTS,
    type: h.type,
    path: (h.path as string | undefined) ?? HEALTH_CHECK_DEFAULTS.path,
    port: h.port as number | undefined,
    intervalMs: positiveInt('healthCheck.intervalMs', h.intervalMs) ?? HEALTH_CHECK_DEFAULTS.intervalMs,
    timeoutMs: positiveInt('healthCheck.timeoutMs', h.timeoutMs) ?? HEALTH_CHECK_DEFAULTS.timeoutMs,
    healthyThreshold:
      positiveInt('healthCheck.healthyThreshold', h.healthyThreshold) ??
      HEALTH_CHECK_DEFAULTS.healthyThreshold,
    unhealthyThreshold:
      positiveInt('healthCheck.unhealthyThreshold', h.unhealthyThreshold) ??
      HEALTH_CHECK_DEFAULTS.unhealthyThreshold,
  };
  if (spec.timeoutMs > spec.intervalMs) fail('healthCheck.timeoutMs', 'must not exceed intervalMs');
  return spec;
}

/** A fresh record for a registration: ready, alive, not yet checked. */
export function newRecord(
  req: RegistrationRequest,
  instanceId: string,
  namespace: string,
  trustDomain: string,
  defaultTtlMs: number,
  nowMs: number,
): InstanceRecord {
  const labels: Record<string, string> = { ...(req.labels ?? {}) };
  if (req.version !== undefined && labels.version === undefined) labels.version = req.version;
  const serviceAccount = req.serviceAccount ?? req.service;
  return {
    instanceId,
    service: req.service,
    namespace,
    address: req.address,
    port: req.port,
    sidecarPort: req.sidecarPort,
    protocol: req.protocol ?? 'http',
    version: req.version,
    labels,
    serviceAccount,
    spiffeId: spiffeIdOf(trustDomain, namespace, serviceAccount),
    locality: req.locality,
    healthCheck: req.healthCheck ? parseHealthCheck(req.healthCheck) : undefined,
    ttlMs: req.ttlMs ?? defaultTtlMs,
    registeredAtMs: nowMs,
    lastHeartbeatMs: nowMs,
    ready: true,
    expired: false,
    checkStatus: 'unknown',
    consecutivePasses: 0,
    consecutiveFailures: 0,
    outlierUntilMs: 0,
    outlierReports: 0,
  };
}
