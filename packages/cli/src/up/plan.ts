/**
 * Turns a system spec into the components `meshwork up` runs, with ports from the allocator:
 * the control plane, one sidecar per instance (mesh mode), the instances themselves and the
 * gateway. Each instance gets the environment the service runtime reads (see docs/service-runtime.md).
 */
import { dirname, join } from 'node:path';
import type { PortAllocator } from './ports.js';
import { OWNER_ENV } from './reaper.js';
import type { SidecarHostSpec } from './sidecar-host.js';
import { portServiceName, type ServiceSpec, type SystemSpec, tiers } from './spec.js';
import type { ComponentSpec } from './supervisor.js';

/** Options that shape the plan. */
export interface PlanOptions {
  /** Run the control plane and proxies (true), or let services call each other directly (false). */
  mesh: boolean;
  /**
   * Without the mesh: `registry` runs the control plane and services discover each other
   * through it (proxyless); `static` hands every service fixed endpoint lists instead.
   */
  discovery: 'registry' | 'static';
  /** Absolute path of `bin/meshwork.js`. */
  cliBin: string;
  /** Node executable for our own processes. */
  node: string;
  dataDir: string;
  databaseUrl?: string;
  logLevel: string;
  namespace: string;
  gatewayPort: number;
  controlPlanePort: number;
  xdsPort: number;
  /** Mesh mode: every sidecar in one host process (`shared`, default) or a process each. */
  sidecars?: 'shared' | 'per-instance';
}

/** One running copy of a service. */
export interface Instance {
  id: string;
  service: ServiceSpec;
  version: string;
  /** Env var → port. */
  ports: Record<string, number>;
  /** Sidecar listener ports (mesh mode with a sidecar). */
  sidecar?: { inbound: number; outbound: number; admin: number };
  /**
   * gRPC xDS bootstrap file for an instance without a sidecar when a control plane runs: its
   * gRPC clients resolve `xds:///<service>` through the control plane (proxyless gRPC). An
   * instance with a sidecar sends gRPC through it, like HTTP.
   */
  xdsBootstrap?: string;
}

/** Components in start order. */
export interface Plan {
  controlPlane?: ComponentSpec;
  /** Mesh mode with shared sidecars: the one process hosting them and the gateway, and its spec file. */
  sidecarHost?: { component: ComponentSpec; file: string; spec: SidecarHostSpec };
  tiers: { sidecars: ComponentSpec[]; apps: ComponentSpec[] }[];
  gateway?: ComponentSpec;
  instances: Instance[];
  /** Logical service name → `host:port` of every instance (proxyless addresses). */
  endpoints: Record<string, string[]>;
  options: PlanOptions;
}

async function allocateInstances(
  spec: SystemSpec,
  opts: PlanOptions,
  ports: PortAllocator,
): Promise<Instance[]> {
  const out: Instance[] = [];
  for (const service of spec.services) {
    for (let r = 0; r < service.replicas; r++) {
      const envNames = Object.keys(service.ports);
      const app = await ports.allocate(envNames.length);
      const withSidecar = opts.mesh && service.sidecar;
      const side = withSidecar ? await ports.allocate(3) : undefined;
      out.push({
        id: `${service.name}-${r + 1}`,
        service,
        version: service.versions[r],
        ports: Object.fromEntries(envNames.map((e, i) => [e, app[i]])),
        sidecar: side ? { inbound: side[0], outbound: side[1], admin: side[2] } : undefined,
        xdsBootstrap:
          !side && (opts.mesh || opts.discovery === 'registry')
            ? join(opts.dataDir, 'xds-bootstrap', `${service.name}-${r + 1}.json`)
            : undefined,
      });
    }
  }
  return out;
}

function endpointsOf(instances: Instance[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const inst of instances) {
    for (const [envName, port] of Object.entries(inst.ports)) {
      const name = portServiceName(inst.service, envName);
      (out[name] ??= []).push(`127.0.0.1:${port}`);
    }
  }
  return out;
}

function envKey(service: string): string {
  return `MESHWORK_ENDPOINTS_${service.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

/** Environment of our own processes (control plane, proxies): marked as this `up`'s children. */
function ownEnv(o: PlanOptions): NodeJS.ProcessEnv {
  return { ...process.env, LOG_LEVEL: o.logLevel, [OWNER_ENV]: o.dataDir };
}

/** The parent's environment minus what `up` sets itself, so a stale MESHWORK_* never leaks in. */
function inheritedEnv(service: ServiceSpec): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('MESHWORK_') && !(k in service.ports)) out[k] = v;
  }
  return out;
}

function appEnv(inst: Instance, plan: Omit<Plan, 'tiers'>): NodeJS.ProcessEnv {
  const o = plan.options;
  const env: NodeJS.ProcessEnv = {
    ...inheritedEnv(inst.service),
    ...inst.service.env,
    MESHWORK_SERVICE: inst.service.name,
    MESHWORK_INSTANCE_ID: inst.id,
    MESHWORK_NAMESPACE: o.namespace,
    MESHWORK_VERSION: inst.version,
    MESHWORK_DATA_DIR: o.dataDir,
    MESHWORK_SUPERVISED: '1',
    [OWNER_ENV]: o.dataDir,
    LOG_LEVEL: o.logLevel,
  };
  for (const [name, port] of Object.entries(inst.ports)) env[name] = String(port);
  if (o.databaseUrl) env.DATABASE_URL = o.databaseUrl;
  if (inst.xdsBootstrap) env.GRPC_XDS_BOOTSTRAP = inst.xdsBootstrap;
  if (o.mesh || o.discovery === 'registry')
    env.MESHWORK_CONTROL_PLANE = `http://127.0.0.1:${o.controlPlanePort}`;
  if (o.mesh) {
    if (inst.sidecar) {
      env.MESHWORK_SIDECAR_INBOUND_PORT = String(inst.sidecar.inbound);
      env.MESHWORK_SIDECAR_OUTBOUND_PORT = String(inst.sidecar.outbound);
    }
  } else if (o.discovery === 'static') {
    for (const [name, list] of Object.entries(plan.endpoints)) env[envKey(name)] = list.join(',');
  }
  return env;
}

function appComponent(inst: Instance, plan: Omit<Plan, 'tiers'>): ComponentSpec {
  const port = Object.values(inst.ports)[0];
  return {
    id: inst.id,
    kind: 'service',
    service: inst.service.name,
    command: inst.service.command === 'node' ? plan.options.node : inst.service.command,
    args: inst.service.args,
    cwd: inst.service.cwd,
    env: appEnv(inst, plan),
    readiness: { http: `http://127.0.0.1:${port}${inst.service.health.ready}` },
    readyTimeoutMs: inst.service.health.timeoutMs,
    ports: Object.fromEntries(
      Object.entries(inst.ports).map(([k, v]) => [
        k === 'PORT' ? 'app' : k.toLowerCase().replace(/_port$/, ''),
        v,
      ]),
    ),
  };
}

function sidecarComponent(inst: Instance, o: PlanOptions): ComponentSpec {
  const s = inst.sidecar!;
  const appPort = Object.values(inst.ports)[0];
  return {
    id: `${inst.id}.sidecar`,
    kind: 'sidecar',
    service: inst.service.name,
    command: o.node,
    args: [
      o.cliBin,
      'proxy',
      ...['--xds', `127.0.0.1:${o.xdsPort}`, '--node-id', inst.id, '--service', inst.service.name],
      ...['--namespace', o.namespace, '--mode', 'sidecar', '--inbound-port', String(s.inbound)],
      ...[
        '--outbound-port',
        String(s.outbound),
        '--app-port',
        String(appPort),
        '--admin-port',
        String(s.admin),
      ],
      ...['--label', `app=${inst.service.name}`, '--label', `version=${inst.version}`],
    ],
    env: ownEnv(o),
    readiness: { http: `http://127.0.0.1:${s.admin}/ready` },
    ports: { inbound: s.inbound, outbound: s.outbound, admin: s.admin },
  };
}

/** One process hosting every instance's sidecar and the gateway (see sidecar-host.ts). */
function sidecarHost(
  instances: Instance[],
  o: PlanOptions,
  gateway: ComponentSpec,
): NonNullable<Plan['sidecarHost']> {
  const hosted = instances.filter((i) => i.sidecar);
  const spec: SidecarHostSpec = {
    xds: `127.0.0.1:${o.xdsPort}`,
    gateway: { nodeId: 'gateway', namespace: o.namespace, adminPort: gateway.ports.admin },
    sidecars: hosted.map((i) => ({
      nodeId: i.id,
      service: i.service.name,
      namespace: o.namespace,
      inboundPort: i.sidecar!.inbound,
      outboundPort: i.sidecar!.outbound,
      appPort: Object.values(i.ports)[0],
      adminPort: i.sidecar!.admin,
      labels: { app: i.service.name, version: i.version },
    })),
  };
  const file = join(o.dataDir, 'sidecar-host.json');
  const script = join(dirname(o.cliBin), '..', 'dist', 'up', 'sidecar-host.js');
  return {
    file,
    spec,
    component: {
      id: 'proxies',
      kind: 'gateway',
      command: o.node,
      args: [script, file],
      env: ownEnv(o),
      readiness: {
        all: [
          ...hosted.map((i) => ({ http: `http://127.0.0.1:${i.sidecar!.admin}/ready` })),
          gateway.readiness,
        ],
      },
      readyTimeoutMs: 60_000,
      ports: gateway.ports,
    },
  };
}

function controlPlaneComponent(options: PlanOptions): ComponentSpec {
  return {
    id: 'control-plane',
    kind: 'control-plane',
    command: options.node,
    args: [
      options.cliBin,
      'control-plane',
      ...['--rest-port', String(options.controlPlanePort), '--xds-port', String(options.xdsPort)],
      ...['--data-dir', join(options.dataDir, 'control-plane')],
    ],
    env: ownEnv(options),
    readiness: { http: `http://127.0.0.1:${options.controlPlanePort}/v1/registry/services` },
    ports: { api: options.controlPlanePort, xds: options.xdsPort },
  };
}

function gatewayComponent(options: PlanOptions, admin: number): ComponentSpec {
  return {
    id: 'gateway',
    kind: 'gateway',
    command: options.node,
    args: [
      options.cliBin,
      'proxy',
      ...['--xds', `127.0.0.1:${options.xdsPort}`, '--node-id', 'gateway', '--service', 'gateway'],
      ...['--namespace', options.namespace, '--mode', 'gateway', '--admin-port', String(admin)],
    ],
    env: ownEnv(options),
    readiness: { tcp: { host: '127.0.0.1', port: options.gatewayPort } },
    ports: { http: options.gatewayPort, admin },
  };
}

/** Builds the plan; ports come from `ports` (fixed ones must already be reserved there). */
export async function buildPlan(spec: SystemSpec, options: PlanOptions, ports: PortAllocator): Promise<Plan> {
  const instances = await allocateInstances(spec, options, ports);
  const base = { instances, endpoints: endpointsOf(instances), options };
  const plan: Plan = { ...base, tiers: [] };
  if (options.mesh || options.discovery === 'registry') plan.controlPlane = controlPlaneComponent(options);
  if (options.mesh) {
    const admin = (await ports.allocate(1))[0];
    plan.gateway = gatewayComponent(options, admin);
  }
  const shared = options.mesh && (options.sidecars ?? 'shared') === 'shared';
  if (shared) {
    plan.sidecarHost = sidecarHost(instances, options, plan.gateway!);
    plan.gateway = undefined;
  }
  for (const tier of tiers(spec.services, spec.file)) {
    const names = new Set(tier.map((s) => s.name));
    const members = instances.filter((i) => names.has(i.service.name));
    plan.tiers.push({
      sidecars: shared ? [] : members.filter((i) => i.sidecar).map((i) => sidecarComponent(i, options)),
      apps: members.map((i) => appComponent(i, base)),
    });
  }
  return plan;
}
