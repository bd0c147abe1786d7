/**
 * Supervises child processes: spawn each in its own process group, capture its output (last
 * lines in memory, everything in a log file), wait for readiness, restart on crash with
 * exponential backoff, and stop everything gracefully in the reverse order of start.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { type BackoffPolicy, DEFAULT_BACKOFF, nextAttempt, restartDelayMs } from './backoff.js';
import { MeshError, NotReadyError } from './errors.js';
import { LogRing } from './log-ring.js';
import { probeOnce, type ReadinessCheck } from './readiness.js';

/** What kind of thing a component is (for display and ordering). */
export type ComponentKind = 'control-plane' | 'gateway' | 'sidecar' | 'service' | 'process';

/** How to run one component. */
export interface ComponentSpec {
  id: string;
  kind: ComponentKind;
  /** Logical service, for service instances and their sidecars. */
  service?: string;
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd?: string;
  readiness: ReadinessCheck;
  /** Default 30 s. */
  readyTimeoutMs?: number;
  /** Named ports, for display (`app`, `inbound`, `admin`, …). */
  ports: Record<string, number>;
  /** Restart on crash; default true. */
  restart?: boolean;
}

/** Lifecycle of a component. */
export type ComponentState =
  | 'pending'
  | 'starting'
  | 'ready'
  | 'restarting'
  | 'stopping'
  | 'stopped'
  | 'failed';

/** A snapshot for display. */
export interface ComponentStatus {
  id: string;
  kind: ComponentKind;
  service?: string;
  state: ComponentState;
  pid?: number;
  restarts: number;
  ports: Record<string, number>;
  /** When the current state began (ms since epoch). */
  since: number;
}

/** Emitted when a child exits unexpectedly. */
export interface CrashReport {
  id: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  lastLines: string[];
  /** Delay before the restart; undefined when it will not be restarted. */
  restartInMs?: number;
}

/** Options of {@link Supervisor}. */
export interface SupervisorOptions {
  /** Directory for `<id>.log` files; none when unset. */
  logDir?: string;
  backoff?: BackoffPolicy;
  /** SIGTERM → SIGKILL grace; default 10 s. */
  stopGraceMs?: number;
  /** Readiness poll interval; default 100 ms. */
  pollMs?: number;
  /** Lines kept per component; default 40. */
  tailLines?: number;
}

interface Record_ {
  spec: ComponentSpec;
  state: ComponentState;
  since: number;
  child?: ChildProcess;
  ring: LogRing;
  attempt: number;
  restarts: number;
  startedAt: number;
  timer?: NodeJS.Timeout;
  /** Called with no argument once ready, or with the reason it never will be. */
  readyWaiters: ((failure?: Error) => void)[];
  exitWaiters: (() => void)[];
}

/** Runs and watches a set of components. Events: `state` (ComponentStatus), `crash` (CrashReport). */
export class Supervisor extends EventEmitter {
  private readonly records = new Map<string, Record_>();
  private readonly groups: string[][] = [];
  private readonly backoff: BackoffPolicy;

  constructor(private readonly options: SupervisorOptions = {}) {
    super();
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
  }

  /** Registers components without starting them (so a status table can show them pending). */
  add(specs: ComponentSpec[]): void {
    for (const spec of specs) {
      if (this.records.has(spec.id)) throw new TypeError(`component id "${spec.id}" is used twice`);
      const file = this.options.logDir ? join(this.options.logDir, `${spec.id}.log`) : undefined;
      this.records.set(spec.id, {
        spec,
        state: 'pending',
        since: Date.now(),
        ring: new LogRing(this.options.tailLines ?? 40, file),
        attempt: 0,
        restarts: 0,
        startedAt: 0,
        readyWaiters: [],
        exitWaiters: [],
      });
    }
  }

  /** Starts components together and waits until each is ready; rejects with {@link NotReadyError}. */
  async startGroup(ids: string[]): Promise<void> {
    this.groups.push(ids);
    await Promise.all(ids.map((id) => this.startOne(this.get(id))));
  }

  /** Stops every started component, groups in reverse start order, members of a group together. */
  async stopAll(): Promise<void> {
    for (const group of [...this.groups].reverse()) await Promise.all(group.map((id) => this.stop(id)));
    await Promise.all([...this.records.values()].map((r) => r.ring.close()));
  }

  /** Stops one component (SIGTERM to its process group, SIGKILL after the grace period). */
  async stop(id: string): Promise<void> {
    const rec = this.get(id);
    clearTimeout(rec.timer);
    // Whoever waits for this component to become ready (a startup being interrupted) hears now.
    const stopped = new MeshError('MESH_ERR_UP_STOPPED', `${id} was stopped before it was ready`);
    for (const w of rec.readyWaiters.splice(0)) w(stopped);
    const child = rec.child;
    if (!child || !isRunning(child)) {
      if (rec.state !== 'pending') this.setState(rec, 'stopped');
      return;
    }
    this.setState(rec, 'stopping');
    const exited = new Promise<void>((r) => rec.exitWaiters.push(r));
    signalGroup(child, 'SIGTERM');
    const kill = setTimeout(() => signalGroup(child, 'SIGKILL'), this.options.stopGraceMs ?? 10_000);
    await exited;
    clearTimeout(kill);
  }

  /** Sends a signal to a running component's process (not its group); false when it is not running. */
  signal(id: string, signal: NodeJS.Signals): boolean {
    const child = this.get(id).child;
    if (!child || !isRunning(child)) return false;
    return child.kill(signal);
  }

  /** Current status of every component, in registration order. */
  statuses(): ComponentStatus[] {
    return [...this.records.values()].map((r) => this.statusOf(r));
  }

  /** The last `n` output lines of a component. */
  tail(id: string, n?: number): string[] {
    return this.get(id).ring.tail(n);
  }

  /** Pids of every live child. */
  pids(): number[] {
    return [...this.records.values()].flatMap((r) =>
      r.child?.pid && isRunning(r.child) ? [r.child.pid] : [],
    );
  }

  private get(id: string): Record_ {
    const rec = this.records.get(id);
    if (!rec) throw new TypeError(`unknown component "${id}"`);
    return rec;
  }

  private statusOf(r: Record_): ComponentStatus {
    return {
      id: r.spec.id,
      kind: r.spec.kind,
      service: r.spec.service,
      state: r.state,
      pid: r.child && isRunning(r.child) ? r.child.pid : undefined,
      restarts: r.restarts,
      ports: r.spec.ports,
      since: r.since,
    };
  }

  private setState(rec: Record_, state: ComponentState): void {
    if (rec.state === state) return;
    rec.state = state;
    rec.since = Date.now();
    this.emit('state', this.statusOf(rec));
  }

  private startOne(rec: Record_): Promise<void> {
    const timeoutMs = rec.spec.readyTimeoutMs ?? 30_000;
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new NotReadyError(rec.spec.id, timeoutMs, rec.ring.tail(20))),
        timeoutMs,
      );
      rec.readyWaiters.push((failure) => {
        clearTimeout(timer);
        if (failure) reject(failure);
        else resolve();
      });
    });
    this.spawn(rec);
    return ready;
  }

  private spawn(rec: Record_): void {
    const { spec } = rec;
    rec.startedAt = Date.now();
    this.setState(rec, 'starting');
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: spec.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Own process group: a terminal Ctrl-C reaches only `meshwork up`, which then stops children in order.
      detached: true,
    });
    rec.child = child;
    child.stdout?.on('data', (chunk: Buffer) => rec.ring.write(chunk));
    child.stderr?.on('data', (chunk: Buffer) => rec.ring.write(chunk));
    child.once('error', (err) => rec.ring.note(`[meshwork] could not start ${spec.command}: ${err.message}`));
    child.once('close', (code, signal) => this.onExit(rec, child, code, signal));
    void this.pollReady(rec, child);
  }

  private async pollReady(rec: Record_, child: ChildProcess): Promise<void> {
    const pollMs = this.options.pollMs ?? 100;
    while (rec.child === child && rec.state === 'starting' && isRunning(child)) {
      if (await probeOnce(rec.spec.readiness)) {
        if (rec.child !== child || rec.state !== 'starting') return;
        this.setState(rec, 'ready');
        for (const w of rec.readyWaiters.splice(0)) w();
        return;
      }
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }

  private onExit(
    rec: Record_,
    child: ChildProcess,
    code: number | null,
    signal: NodeJS.Signals | null,
  ): void {
    if (rec.child !== child) return;
    rec.ring.note(`[meshwork] ${rec.spec.id} exited (code ${code}, signal ${signal})`);
    if (rec.state === 'stopping' || rec.state === 'stopped') {
      this.setState(rec, 'stopped');
      for (const w of rec.exitWaiters.splice(0)) w();
      return;
    }
    const report: CrashReport = { id: rec.spec.id, code, signal, lastLines: rec.ring.tail(20) };
    if (rec.spec.restart === false) {
      this.setState(rec, 'failed');
      this.emit('crash', report);
      return;
    }
    rec.attempt = nextAttempt(this.backoff, rec.attempt, Date.now() - rec.startedAt);
    report.restartInMs = restartDelayMs(this.backoff, rec.attempt);
    this.setState(rec, 'restarting');
    this.emit('crash', report);
    rec.timer = setTimeout(() => {
      rec.restarts++;
      this.spawn(rec);
    }, report.restartInMs);
  }
}

/** A child that was killed by a signal has a null exit code but a signal code. */
function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid) process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}
