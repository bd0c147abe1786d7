/**
 * Renders `meshwork status`: the processes of a running `meshwork up`, the registry's services
 * and instances with health, and each proxy's config versions per xDS type. Tolerant of fields
 * it does not know, so an older or newer control plane still prints something useful.
 */
import type { UpState } from './orchestrator.js';

type Obj = Record<string, any>;

function list(value: unknown, key: string): Obj[] {
  if (Array.isArray(value)) return value as Obj[];
  if (value && typeof value === 'object') {
    const inner = (value as Obj)[key] ?? (value as Obj).items;
    if (Array.isArray(inner)) return inner;
    return Object.entries(value as Obj).map(([name, v]) => ({
      name,
      ...(typeof v === 'object' ? v : { value: v }),
    }));
  }
  return [];
}

/** Pads cells into aligned columns. */
export function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  return [header, ...rows].map((r) =>
    r
      .map((c, i) => (c ?? '').padEnd(widths[i]))
      .join('  ')
      .trimEnd(),
  );
}

function processes(state: UpState): string[] {
  const rows = state.components.map((c) => [
    c.id,
    c.state,
    c.pid ? String(c.pid) : '',
    String(c.restarts),
    Object.entries(c.ports)
      .map(([k, v]) => `${k}:${v}`)
      .join(' '),
  ]);
  return [
    `${state.system} (${state.mode}) — gateway ${state.gateway}${state.controlPlane ? `, control plane ${state.controlPlane}` : ''}`,
    ...table(['PROCESS', 'STATE', 'PID', 'RESTARTS', 'PORTS'], rows),
  ];
}

/** Why an instance is or is not an endpoint, most specific reason first. */
function healthOf(i: Obj): string {
  if (i.expired === true) return 'EXPIRED (missed heartbeats)';
  if (i.ready === false) return 'NOT READY';
  if (i.check?.status === 'failing') return `CHECK FAILING${i.check.error ? ` (${i.check.error})` : ''}`;
  if (i.outlier === true) return 'EJECTED (outlier)';
  if (i.healthy === false) return 'UNHEALTHY';
  return 'HEALTHY';
}

function registryRows(registry: unknown): string[] {
  const rows: string[][] = [];
  for (const svc of list(registry, 'services')) {
    const instances = list(svc.instances ?? [], 'instances');
    if (instances.length === 0) rows.push([String(svc.name ?? svc.service), '', '', '', '']);
    for (const i of instances) {
      const health = i.health ?? i.status ?? healthOf(i);
      rows.push([
        String(svc.name ?? svc.service ?? i.service),
        String(i.instanceId ?? i.id ?? ''),
        `${i.address ?? ''}:${i.port ?? ''}`,
        String(health),
        String(i.version ?? i.labels?.version ?? ''),
      ]);
    }
  }
  return rows.length
    ? table(['SERVICE', 'INSTANCE', 'ADDRESS', 'HEALTH', 'VERSION'], rows)
    : ['(no services registered)'];
}

function proxyRows(proxies: unknown): string[] {
  const rows = list(proxies, 'proxies').map((p) => {
    const versions = (p.versions ?? {}) as Obj;
    // Accept both xDS short names (lds) and resource kinds (listeners).
    const v = (short: string, kind: string) => String(versions[kind] ?? versions[short] ?? '-');
    const states = new Set<string>(
      (p.streams ?? []).flatMap((st: Obj) => (st.types ?? []).map((t: Obj) => t.state)),
    );
    const acked =
      states.size === 0 ? '' : states.has('NACKED') ? 'NACKED' : states.has('PENDING') ? 'PENDING' : 'ACKED';
    return [
      String(p.nodeId ?? p.id ?? p.name),
      String(p.mode ?? p.metadata?.mode ?? ''),
      v('lds', 'listeners'),
      v('rds', 'routes'),
      v('cds', 'clusters'),
      v('eds', 'endpoints'),
      acked,
    ];
  });
  return rows.length
    ? table(['PROXY', 'MODE', 'LDS', 'RDS', 'CDS', 'EDS', 'SYNC'], rows)
    : ['(no proxies connected)'];
}

/** Renders everything known about a running system. */
export function renderStatus(input: { state?: UpState; registry?: unknown; proxies?: unknown }): string[] {
  const out: string[] = [];
  if (input.state) out.push(...processes(input.state), '');
  if (input.registry !== undefined) out.push('Registry', ...registryRows(input.registry), '');
  if (input.proxies !== undefined)
    out.push('Proxies (config version per xDS type)', ...proxyRows(input.proxies), '');
  return out.length ? out : ['nothing is running'];
}
