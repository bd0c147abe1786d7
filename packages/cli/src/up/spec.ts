/**
 * The system spec `meshwork up -f mesh.yaml` runs: services (command, args, replicas, ports,
 * env, health paths, sidecar on/off, dependencies) plus mesh resources to apply. Validation
 * collects nothing silently: the first problem is reported with its file and path.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { SpecError } from './errors.js';

/** One service of a system. */
export interface ServiceSpec {
  name: string;
  command: string;
  args: string[];
  /** Working directory (absolute). */
  cwd: string;
  replicas: number;
  /** Version label per replica (canaries); defaults to `v1` for all. */
  versions: string[];
  /** Env var → protocol; each instance gets a free port in each. The first is the service's own port. */
  ports: Record<string, 'http' | 'grpc'>;
  env: Record<string, string>;
  health: { ready: string; live: string; timeoutMs: number };
  sidecar: boolean;
  dependsOn: string[];
}

/** A whole system. */
export interface SystemSpec {
  name: string;
  file: string;
  /** Absolute paths of YAML files with mesh resources (Gateway, VirtualService, …). */
  mesh: string[];
  services: ServiceSpec[];
  /** Commands printed once the system is up; `${GATEWAY}` expands to the gateway URL. */
  tryCommands: string[];
}

type Obj = Record<string, unknown>;
const NAME = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
const ENV = /^[A-Z_][A-Z0-9_]*$/;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Reads and validates a system spec file. */
export function loadSystemSpec(file: string): SystemSpec {
  const abs = resolve(file);
  let text: string;
  try {
    text = readFileSync(abs, 'utf8');
  } catch (err) {
    throw new SpecError(file, '', `cannot read: ${(err as Error).message}`);
  }
  return parseSystemSpec(text, abs);
}

/** Validates a spec given as YAML text; `file` anchors relative paths and error messages. */
export function parseSystemSpec(text: string, file: string): SystemSpec {
  const docs = parseAllDocuments(text);
  const doc = docs[0];
  if (!doc || doc.errors.length > 0)
    throw new SpecError(file, '', `not valid YAML: ${doc?.errors[0]?.message ?? 'empty'}`);
  const root = doc.toJS() as unknown;
  if (!isObj(root)) throw new SpecError(file, '', 'must be a mapping');
  if (root.kind !== undefined && root.kind !== 'System')
    throw new SpecError(file, 'kind', `must be "System", got "${root.kind}"`);
  const spec = isObj(root.spec) ? root.spec : root;
  const base = dirname(file);
  const name = isObj(root.metadata) && typeof root.metadata.name === 'string' ? root.metadata.name : 'system';
  const meshRaw = spec.mesh ?? [];
  if (!Array.isArray(meshRaw) || meshRaw.some((m) => typeof m !== 'string')) {
    throw new SpecError(file, 'spec.mesh', 'must be a list of file paths');
  }
  if (!Array.isArray(spec.services) || spec.services.length === 0) {
    throw new SpecError(file, 'spec.services', 'must be a non-empty list');
  }
  const services = spec.services.map((s, i) => parseService(s, `spec.services[${i}]`, file, base));
  checkNamesAndDeps(services, file);
  const tryRaw = spec.try ?? [];
  if (!Array.isArray(tryRaw) || tryRaw.some((t) => typeof t !== 'string')) {
    throw new SpecError(file, 'spec.try', 'must be a list of command lines');
  }
  return {
    name,
    file,
    mesh: (meshRaw as string[]).map((m) => resolve(base, m)),
    services,
    tryCommands: tryRaw,
  };
}

function str(o: Obj, key: string, path: string, file: string, fallback?: string): string {
  const v = o[key] ?? fallback;
  if (typeof v !== 'string' || v.length === 0)
    throw new SpecError(file, `${path}.${key}`, 'must be a non-empty string');
  return v;
}

function parseService(raw: unknown, path: string, file: string, base: string): ServiceSpec {
  if (!isObj(raw)) throw new SpecError(file, path, 'must be a mapping');
  const name = str(raw, 'name', path, file);
  if (!NAME.test(name))
    throw new SpecError(file, `${path}.name`, `"${name}" must be a DNS label (lower-case, digits, -)`);
  const args = raw.args ?? [];
  if (!Array.isArray(args)) throw new SpecError(file, `${path}.args`, 'must be a list');
  const replicas = raw.replicas ?? 1;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 1 || replicas > 50) {
    throw new SpecError(file, `${path}.replicas`, 'must be an integer in 1..50');
  }
  const versions =
    raw.versions ??
    Array.from({ length: replicas }, () => (typeof raw.version === 'string' ? raw.version : 'v1'));
  if (
    !Array.isArray(versions) ||
    versions.length !== replicas ||
    versions.some((v) => typeof v !== 'string')
  ) {
    throw new SpecError(file, `${path}.versions`, `must list one version string per replica (${replicas})`);
  }
  const ports = raw.ports ?? { PORT: 'http' };
  if (!isObj(ports) || Object.keys(ports).length === 0)
    throw new SpecError(file, `${path}.ports`, 'must map env var names to http|grpc');
  for (const [k, v] of Object.entries(ports)) {
    if (!ENV.test(k)) throw new SpecError(file, `${path}.ports.${k}`, 'must be an environment variable name');
    if (v !== 'http' && v !== 'grpc')
      throw new SpecError(file, `${path}.ports.${k}`, `must be "http" or "grpc", got "${v}"`);
  }
  const env = raw.env ?? {};
  if (!isObj(env)) throw new SpecError(file, `${path}.env`, 'must be a mapping');
  const health = isObj(raw.health) ? raw.health : {};
  const timeoutMs = health.timeoutMs ?? 30_000;
  if (typeof timeoutMs !== 'number' || timeoutMs <= 0)
    throw new SpecError(file, `${path}.health.timeoutMs`, 'must be a positive number');
  const dependsOn = raw.dependsOn ?? [];
  if (!Array.isArray(dependsOn) || dependsOn.some((d) => typeof d !== 'string')) {
    throw new SpecError(file, `${path}.dependsOn`, 'must be a list of service names');
  }
  return {
    name,
    command: str(raw, 'command', path, file, 'node'),
    args: args.map(String),
    cwd: resolve(base, typeof raw.cwd === 'string' ? raw.cwd : '.'),
    replicas,
    versions: versions as string[],
    ports: ports as Record<string, 'http' | 'grpc'>,
    env: Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)])),
    health: {
      ready: typeof health.ready === 'string' ? health.ready : '/health/ready',
      live: typeof health.live === 'string' ? health.live : '/health/live',
      timeoutMs,
    },
    sidecar: raw.sidecar !== false,
    dependsOn: dependsOn as string[],
  };
}

function checkNamesAndDeps(services: ServiceSpec[], file: string): void {
  const names = new Set<string>();
  services.forEach((s, i) => {
    if (names.has(s.name))
      throw new SpecError(file, `spec.services[${i}].name`, `"${s.name}" is defined twice`);
    names.add(s.name);
  });
  services.forEach((s, i) => {
    s.dependsOn.forEach((d, j) => {
      if (!names.has(d))
        throw new SpecError(file, `spec.services[${i}].dependsOn[${j}]`, `unknown service "${d}"`);
    });
  });
  tiers(services, file);
}

/**
 * Orders services into start tiers: a service starts after everything it depends on is ready.
 * A dependency cycle is an error naming the services in it.
 */
export function tiers(services: ServiceSpec[], file = 'spec'): ServiceSpec[][] {
  const out: ServiceSpec[][] = [];
  const placed = new Set<string>();
  let remaining = [...services];
  while (remaining.length > 0) {
    const tier = remaining.filter((s) => s.dependsOn.every((d) => placed.has(d)));
    if (tier.length === 0) {
      throw new SpecError(
        file,
        'spec.services',
        `dependency cycle among: ${remaining.map((s) => s.name).join(', ')}`,
      );
    }
    for (const s of tier) placed.add(s.name);
    out.push(tier);
    remaining = remaining.filter((s) => !placed.has(s.name));
  }
  return out;
}

/** Logical service name reached through port env var `envName` of `service` (`GRPC_PORT` → `inventory-grpc`). */
export function portServiceName(service: ServiceSpec, envName: string): string {
  const first = Object.keys(service.ports)[0];
  if (envName === first) return service.name;
  return `${service.name}-${envName
    .replace(/_PORT$/, '')
    .toLowerCase()
    .replace(/_/g, '-')}`;
}
