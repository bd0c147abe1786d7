/**
 * Progress while `meshwork up` starts and stops: on a TTY, a live table redrawn in place with a
 * spinner beside components in motion; otherwise one plain line per state change (logs, CI).
 */
import type { ComponentStatus, CrashReport } from './supervisor.js';

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const MOVING = new Set(['starting', 'restarting', 'stopping']);
const SYMBOL: Record<string, string> = {
  pending: '·',
  ready: '✔',
  stopped: '■',
  failed: '✖',
};

function portsText(ports: Record<string, number>): string {
  return Object.entries(ports)
    .map(([k, v]) => `${k}:${v}`)
    .join(' ');
}

/** Renders the status table; `frame` advances the spinner. Pure, for tests. */
export function renderTable(statuses: ComponentStatus[], frame: number): string[] {
  const rows = statuses.map((s) => [
    MOVING.has(s.state) ? SPINNER[frame % SPINNER.length] : (SYMBOL[s.state] ?? '?'),
    s.id,
    s.state,
    s.pid ? String(s.pid) : '',
    s.restarts ? String(s.restarts) : '',
    portsText(s.ports),
  ]);
  const header = [' ', 'COMPONENT', 'STATE', 'PID', 'RESTARTS', 'PORTS'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

/** Renders one plain progress line for a state change. Pure, for tests. */
export function renderTransition(status: ComponentStatus, elapsedMs: number): string {
  const extra = [status.pid ? `pid ${status.pid}` : '', portsText(status.ports)].filter(Boolean).join(', ');
  return `[${(elapsedMs / 1000).toFixed(1).padStart(5)}s] ${status.id} ${status.state}${extra ? ` (${extra})` : ''}`;
}

/** Renders a crash report: what exited, its last lines, and when it restarts. */
export function renderCrash(report: CrashReport): string[] {
  const how = report.signal ? `signal ${report.signal}` : `code ${report.code}`;
  const next = report.restartInMs === undefined ? 'not restarting' : `restarting in ${report.restartInMs} ms`;
  return [`✖ ${report.id} exited (${how}); ${next}. Last lines:`, ...report.lastLines.map((l) => `    ${l}`)];
}

/** Writes progress to a stream, live on a TTY and line by line otherwise. */
export class ProgressDisplay {
  private frame = 0;
  private drawn = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly startedAt = Date.now();

  constructor(
    private readonly out: NodeJS.WriteStream | NodeJS.WritableStream,
    private readonly statuses: () => ComponentStatus[],
    private live = Boolean((out as NodeJS.WriteStream).isTTY),
  ) {}

  /** Begins redrawing (TTY only). */
  start(): void {
    if (!this.live) return;
    this.timer = setInterval(() => this.redraw(), 100);
    this.redraw();
  }

  /** Reports a state change (plain mode) — the live table picks it up by itself. */
  onState(status: ComponentStatus): void {
    if (!this.live) this.out.write(`${renderTransition(status, Date.now() - this.startedAt)}\n`);
  }

  /** Prints lines above the table. */
  print(lines: string[]): void {
    this.clear();
    this.out.write(`${lines.join('\n')}\n`);
    if (this.live && this.timer) this.redraw();
  }

  /**
   * Stops redrawing, leaving the final table on screen; later changes (crashes, restarts,
   * shutdown) print as plain lines below the summary instead of redrawing over it.
   */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    if (this.live) this.redraw();
    this.drawn = 0;
    this.live = false;
  }

  private clear(): void {
    if (this.live && this.drawn > 0) this.out.write(`\x1b[${this.drawn}A\x1b[J`);
    this.drawn = 0;
  }

  private redraw(): void {
    this.clear();
    const lines = renderTable(this.statuses(), this.frame++);
    this.out.write(`${lines.join('\n')}\n`);
    this.drawn = lines.length;
  }
}
