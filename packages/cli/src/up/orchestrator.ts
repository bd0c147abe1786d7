/**
 * `meshwork up`: brings a whole system up in order — control plane, mesh config, then each tier
 * of services (sidecars first, then apps), then the gateway — shows progress, prints where
 * everything is, and stops it all in reverse order.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import type { DiscoveryWatcher } from '@meshwork/service';
import { xdsBootstrap } from '../commands/xds-bootstrap.js';
import { ProgressDisplay, renderCrash } from './display.js';
import { type Edge, type EdgeEndpoint, loadEdgeRoutes, startEdge } from './edge.js';
import { MeshError, PortInUseError } from './errors.js';
import { bindGatewayPort } from './gateway-port.js';
import { httpCall } from './http.js';
import { buildPlan, type Plan } from './plan.js';
import { isPortFree, PortAllocator } from './ports.js';
import { reapLeftovers } from './reaper.js';
import { loadSystemSpec, type SystemSpec } from './spec.js';
import { type ComponentSpec, type ComponentStatus, Supervisor } from './supervisor.js';

/** Settings of one `meshwork up`. */
export interface UpConfig {
  specFile: string;
  mesh: boolean;
  /** Without the mesh: discover through the control plane's registry, or use fixed endpoints. */
  discovery: 'registry' | 'static';
  /** Root of state, logs and data (`.meshwork/up`). */
  stateDir: string;
  databaseUrl?: string;
  gatewayPort: number;
  controlPlanePort: number;
  xdsPort: number;
  logLevel: string;
  cliBin: string;
  out: NodeJS.WritableStream;
  /** Force the live table on or off; default: live when `out` is a TTY. */
  live?: boolean;
  stopGraceMs?: number;
  /** Delete the data directory first (a fresh shop: seeded stock, no orders). */
  fresh?: boolean;
  /** Mesh mode: all sidecars in one host process (default) or a process per sidecar. */
  sidecars?: 'shared' | 'per-instance';
  /** Ports the user chose (by purpose: `gateway`, `control plane API`, `control plane xDS`): never substituted. */
  explicitPorts?: ReadonlySet<string>;
}

/** What `meshwork status` and tests read from `<stateDir>/up.json`. */
export interface UpState {
  pid: number;
  system: string;
  /** `mesh` (sidecars), `proxyless` (registry discovery) or `direct` (fixed endpoints). */
  mode: 'mesh' | 'proxyless' | 'direct';
  gateway: string;
  controlPlane?: string;
  readyInMs?: number;
  components: ComponentStatus[];
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const GATEWAY_PLACEHOLDER = '$' + '{GATEWAY}';

/** Name of the state file inside the state directory. */
export const STATE_FILE = 'up.json';

/** Runs a system until {@link Orchestrator.down} is called. */
export class Orchestrator {
  private readonly supervisor: Supervisor;
  private readonly display: ProgressDisplay;
  private spec!: SystemSpec;
  private plan!: Plan;
  private edge: Edge | undefined;
  private readonly watchers: DiscoveryWatcher[] = [];
  private readyInMs: number | undefined;
  private stopping = false;

  constructor(private readonly config: UpConfig) {
    this.supervisor = new Supervisor({
      logDir: join(config.stateDir, 'logs'),
      stopGraceMs: config.stopGraceMs,
    });
    this.display = new ProgressDisplay(config.out, () => this.supervisor.statuses(), config.live);
    this.supervisor.on('state', (s: ComponentStatus) => {
      this.display.onState(s);
      this.writeState();
    });
    this.supervisor.on('crash', (report) => {
      if (!this.stopping) this.display.print(renderCrash(report));
    });
  }

  /** Starts everything and waits until it is ready; on failure, stops what started and rethrows. */
  async up(): Promise<UpState> {
    const startedAt = performance.now();
    await this.claimStateDir();
    this.spec = loadSystemSpec(this.config.specFile);
    const ports = new PortAllocator();
    const c = this.config;
    const gatewayPort = await this.reservePort(ports, c.gatewayPort, 'gateway');
    const withControlPlane = c.mesh || c.discovery === 'registry';
    const controlPlanePort = withControlPlane
      ? await this.reservePort(ports, c.controlPlanePort, 'control plane API')
      : 0;
    const xdsPort = withControlPlane ? await this.reservePort(ports, c.xdsPort, 'control plane xDS') : 0;
    mkdirSync(join(c.stateDir, 'data'), { recursive: true });
    this.plan = await buildPlan(
      this.spec,
      {
        mesh: c.mesh,
        discovery: c.discovery,
        cliBin: c.cliBin,
        node: process.execPath,
        dataDir: join(c.stateDir, 'data'),
        databaseUrl: c.databaseUrl,
        logLevel: c.logLevel,
        namespace: 'default',
        gatewayPort,
        controlPlanePort,
        xdsPort,
        sidecars: c.sidecars,
      },
      ports,
    );
    this.checkEntryPoints();
    this.writeXdsBootstraps();
    this.writeSidecarHostSpec();
    this.supervisor.add(this.components());
    this.display.start();
    try {
      await this.startAll();
    } catch (err) {
      this.display.stop();
      await this.down();
      throw err;
    }
    this.readyInMs = Math.round(performance.now() - startedAt);
    this.display.stop();
    this.writeState();
    this.config.out.write(`${this.summary().join('\n')}\n`);
    return this.state();
  }

  /**
   * A port the user asked for must be free; a default one that is taken (another program on
   * 8080) is replaced by a free port with a note, so `npm start` works on a busy machine.
   */
  private async reservePort(ports: PortAllocator, port: number, what: string): Promise<number> {
    try {
      return await ports.reserve(port, what);
    } catch (err) {
      if (!(err instanceof PortInUseError) || this.config.explicitPorts?.has(what)) throw err;
      const free = await ports.reserve(0, what);
      this.config.out.write(`note: port ${port} (${what}) is in use; using ${free} instead\n`);
      return free;
    }
  }

  /**
   * Refuses a state dir another live `meshwork up` uses; takes over a stale one, stopping what a
   * killed run left behind; wipes data on `fresh`.
   */
  private async claimStateDir(): Promise<void> {
    const file = join(this.config.stateDir, STATE_FILE);
    if (existsSync(file)) {
      let pid = 0;
      let leftovers: number[] = [];
      try {
        const stale = JSON.parse(readFileSync(file, 'utf8')) as UpState;
        pid = stale.pid;
        leftovers = (stale.components ?? []).map((c) => c.pid).filter((p): p is number => p !== undefined);
      } catch {
        // Unreadable: treat as stale.
      }
      if (pid && pid !== process.pid && isAlive(pid)) {
        throw new MeshError(
          'MESH_ERR_UP_RUNNING',
          `meshwork up is already running (pid ${pid}) with state in ${this.config.stateDir}; stop it or pass --state-dir`,
        );
      }
      const reaped = await reapLeftovers(leftovers, join(this.config.stateDir, 'data'));
      if (reaped.length > 0) {
        this.config.out.write(
          `note: stopped ${reaped.length} processes left by a previous meshwork up that was killed\n`,
        );
      }
      rmSync(file, { force: true });
    }
    if (this.config.fresh) rmSync(join(this.config.stateDir, 'data'), { recursive: true, force: true });
  }

  /** Stops everything in reverse order and removes the state file. Idempotent. */
  async down(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    await this.edge?.close();
    await this.stopHostedGateway();
    for (const w of this.watchers) w.close();
    await this.supervisor.stopAll();
    rmSync(join(this.config.stateDir, STATE_FILE), { force: true });
  }

  /** The edge stops first: a gateway hosted with the sidecars is drained before any app stops. */
  private async stopHostedGateway(): Promise<void> {
    const host = this.plan?.sidecarHost;
    if (!host?.spec.gateway || !this.supervisor.signal(host.component.id, 'SIGUSR2')) return;
    const deadline = Date.now() + (this.config.stopGraceMs ?? 10_000);
    while (Date.now() < deadline && !(await isPortFree(this.plan.options.gatewayPort))) {
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Pids of every child still running. */
  pids(): number[] {
    return this.supervisor.pids();
  }

  private components(): ComponentSpec[] {
    const p = this.plan;
    return [
      ...(p.controlPlane ? [p.controlPlane] : []),
      ...(p.sidecarHost ? [p.sidecarHost.component] : []),
      ...p.tiers.flatMap((t) => [...t.sidecars, ...t.apps]),
      ...(p.gateway ? [p.gateway] : []),
    ];
  }

  private checkEntryPoints(): void {
    for (const s of this.spec.services) {
      const script = s.args.find((a) => a.endsWith('.js') || a.endsWith('.mjs'));
      if (s.command === 'node' && script && !existsSync(join(s.cwd, script))) {
        throw new MeshError(
          'MESH_ERR_UP_NOT_BUILT',
          `${s.name}: ${join(relative(process.cwd(), s.cwd), script)} does not exist — run \`npm run build\` first`,
        );
      }
    }
  }

  private writeSidecarHostSpec(): void {
    if (!this.plan.sidecarHost) return;
    const { file, spec } = this.plan.sidecarHost;
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(
      file,
      JSON.stringify({ ...spec, drainTimeoutMs: this.config.stopGraceMs ?? 10_000 }, null, 2),
    );
  }

  private writeXdsBootstraps(): void {
    const o = this.plan.options;
    for (const inst of this.plan.instances) {
      if (!inst.xdsBootstrap) continue;
      const doc = xdsBootstrap({
        server: `127.0.0.1:${o.xdsPort}`,
        // The sidecar already speaks for `<id>`; the app's own gRPC xDS client needs a node of its own.
        nodeId: inst.sidecar ? `${inst.id}.grpc` : inst.id,
        namespace: o.namespace,
        cluster: inst.service.name,
      });
      mkdirSync(dirname(inst.xdsBootstrap), { recursive: true });
      writeFileSync(inst.xdsBootstrap, JSON.stringify(doc, null, 2));
    }
  }

  /**
   * Start order (stop is the reverse): control plane and mesh config, then per tier the sidecars
   * and the apps — started together, since an app needs its sidecar only for its first outbound
   * call, and both must be ready before the next tier — then the gateway, last in, first out.
   */
  private async startAll(): Promise<void> {
    const p = this.plan;
    if (p.controlPlane) {
      await this.supervisor.startGroup([p.controlPlane.id]);
      await this.applyMesh();
    }
    // Groups are registered (for stop order) when started, before their readiness is awaited.
    let sidecars = p.sidecarHost ? this.supervisor.startGroup([p.sidecarHost.component.id]) : undefined;
    for (const tier of p.tiers) {
      const tierSidecars =
        tier.sidecars.length > 0 ? this.supervisor.startGroup(tier.sidecars.map((c) => c.id)) : undefined;
      const apps = this.supervisor.startGroup(tier.apps.map((c) => c.id));
      await Promise.all([sidecars, tierSidecars, apps]);
      sidecars = undefined;
    }
    if (p.gateway) await this.supervisor.startGroup([p.gateway.id]);
    else if (!p.sidecarHost) await this.startEdge();
  }

  private async applyMesh(): Promise<void> {
    if (this.spec.mesh.length === 0) return;
    const written = this.spec.mesh.map((f) => readFileSync(f, 'utf8')).join('\n---\n');
    const meshGateway = this.plan.gateway ?? this.plan.sidecarHost?.spec.gateway;
    const yaml = meshGateway ? bindGatewayPort(written, this.plan.options.gatewayPort) : written;
    const res = await httpCall(`http://127.0.0.1:${this.plan.options.controlPlanePort}/v1/resources`, {
      method: 'POST',
      contentType: 'application/yaml',
      body: yaml,
      timeoutMs: 15_000,
    });
    const text = res.text;
    if (res.status < 200 || res.status >= 300)
      throw new MeshError(
        'MESH_ERR_UP_APPLY',
        `applying mesh config failed (${res.status}): ${text.slice(0, 500)}`,
      );
    this.display.print([`applied ${this.spec.mesh.length} mesh file(s): ${text.slice(0, 120)}`]);
  }

  private async startEdge(): Promise<void> {
    const fixed: Record<string, EdgeEndpoint[]> = {};
    for (const inst of this.plan.instances) {
      (fixed[inst.service.name] ??= []).push({ port: Object.values(inst.ports)[0], version: inst.version });
    }
    const fromRegistry = await this.registryEndpoints();
    const endpointsOf = (service: string): readonly EdgeEndpoint[] =>
      fromRegistry?.(service) ?? fixed[service] ?? [];
    this.edge = await startEdge(this.plan.options.gatewayPort, loadEdgeRoutes(this.spec.mesh), endpointsOf);
  }

  /** With a control plane, the edge routes to the registry's ready instances (readiness gates it). */
  private async registryEndpoints(): Promise<((service: string) => EdgeEndpoint[] | undefined) | undefined> {
    if (!this.plan.controlPlane) return undefined;
    // Loaded only for the built-in edge: in mesh mode the orchestrator never needs the runtime.
    const { DiscoveryWatcher } = await import('@meshwork/service');
    const controlPlane = `http://127.0.0.1:${this.plan.options.controlPlanePort}`;
    const byService = new Map<string, DiscoveryWatcher>();
    for (const s of this.spec.services) {
      const watcher = new DiscoveryWatcher({
        controlPlane,
        service: s.name,
        namespace: this.plan.options.namespace,
      });
      byService.set(s.name, watcher);
      this.watchers.push(watcher);
    }
    return (service) => {
      const w = byService.get(service);
      if (!w?.known) return undefined;
      return w.endpoints().map((e) => ({ port: e.port, version: e.version ?? 'v1' }));
    };
  }

  private state(): UpState {
    const o = this.plan.options;
    return {
      pid: process.pid,
      system: this.spec.name,
      mode: o.mesh ? 'mesh' : o.discovery === 'registry' ? 'proxyless' : 'direct',
      gateway: `http://127.0.0.1:${o.gatewayPort}`,
      controlPlane: this.plan.controlPlane ? `http://127.0.0.1:${o.controlPlanePort}` : undefined,
      readyInMs: this.readyInMs,
      components: this.supervisor.statuses(),
    };
  }

  private writeState(): void {
    if (!this.plan || this.stopping) return;
    writeFileSync(join(this.config.stateDir, STATE_FILE), JSON.stringify(this.state(), null, 2));
  }

  private summary(): string[] {
    const s = this.state();
    const urls: [string, string][] = [['gateway', s.gateway]];
    if (s.controlPlane) urls.push(['control plane API', s.controlPlane]);
    for (const c of s.components.filter((x) => x.ports.admin)) {
      const name = c.id === this.plan.sidecarHost?.component.id ? 'gateway' : c.id;
      urls.push([`${name} admin`, `http://127.0.0.1:${c.ports.admin}/`]);
    }
    for (const h of this.plan.sidecarHost?.spec.sidecars ?? []) {
      urls.push([`${h.nodeId} sidecar`, `http://127.0.0.1:${h.adminPort}/  (outbound :${h.outboundPort})`]);
    }
    const width = Math.max(...urls.map(([label]) => label.length));
    const lines = [
      '',
      `${this.spec.name} is up (${s.mode}) in ${((s.readyInMs ?? 0) / 1000).toFixed(1)} s — ${s.components.length} processes.`,
      ...urls.map(([label, url]) => `  ${label.padEnd(width)}  ${url}`),
    ];
    if (this.spec.tryCommands.length > 0) {
      lines.push('', 'Try:');
      for (const t of this.spec.tryCommands) lines.push(`  ${t.replaceAll(GATEWAY_PLACEHOLDER, s.gateway)}`);
    }
    lines.push(
      '',
      `Logs: ${relative(process.cwd(), join(this.config.stateDir, 'logs')) || '.'}/<component>.log · \`meshwork status\` · Ctrl-C stops everything.`,
    );
    return lines;
  }
}
