/**
 * `meshwork proxy-config <node-id> clusters|routes|listeners|endpoints|all [-o json|table]` — what
 * the control plane last sent one proxy (like `istioctl proxy-config`), read from
 * `GET /v1/proxies/<node>/config`. `meshwork proxy-config` alone lists the connected proxies.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_SERVER } from '@meshwork/control-plane';
import type { Command } from '../main.js';

const USAGE = `usage: meshwork proxy-config [<node-id> [clusters|routes|listeners|endpoints|all]] [-o table|json] [--server <url>]

  Without a node id, lists connected proxies with their per-type versions and ACK state.
  -o, --output   json prints the Envoy resources as sent (default: a table)
  --server       control plane REST API (default $MESHWORK_SERVER or ${DEFAULT_SERVER})`;

const TYPES = new Set(['clusters', 'routes', 'listeners', 'endpoints', 'all']);

type Json = Record<string, any>;

function pad(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => (c ?? '').padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** One table per kind, with the columns `istioctl proxy-config` users expect. */
export function renderConfig(kind: string, resources: Json[]): string {
  switch (kind) {
    case 'clusters':
      return pad([
        ['NAME', 'TYPE', 'LB', 'CIRCUIT BREAKERS'],
        ...resources.map((c) => [c.name, c.type, c.lb_policy ?? '', c.circuit_breakers ? 'yes' : '']),
      ]);
    case 'listeners':
      return pad([
        ['NAME', 'ADDRESS', 'PORT', 'ROUTES'],
        ...resources.map((l) => {
          const hcm = l.filter_chains?.[0]?.filters?.[0]?.typed_config ?? l.api_listener?.api_listener ?? {};
          const sa = l.address?.socket_address ?? {};
          return [
            l.name,
            sa.address ?? '(api)',
            String(sa.port_value ?? ''),
            hcm.rds?.route_config_name ?? hcm.route_config?.name ?? '',
          ];
        }),
      ]);
    case 'routes': {
      const rows = [['ROUTE', 'VIRTUAL HOST', 'DOMAINS', 'MATCH', 'ACTION']];
      for (const rc of resources) {
        for (const vh of rc.virtual_hosts ?? []) {
          for (const r of vh.routes ?? []) {
            const match = r.match?.path ?? r.match?.prefix ?? r.match?.safe_regex?.regex ?? '';
            rows.push([
              rc.name,
              vh.name,
              `${vh.domains?.[0] ?? ''}${vh.domains?.length > 1 ? ` +${vh.domains.length - 1}` : ''}`,
              match,
              action(r),
            ]);
          }
        }
      }
      return pad(rows);
    }
    default: {
      const rows = [['CLUSTER', 'ENDPOINT', 'HEALTH', 'LOCALITY']];
      for (const cla of resources) {
        for (const group of cla.endpoints ?? []) {
          const loc = [group.locality?.region, group.locality?.zone].filter(Boolean).join('/');
          for (const e of group.lb_endpoints ?? []) {
            const sa = e.endpoint?.address?.socket_address ?? {};
            rows.push([
              cla.cluster_name,
              `${sa.address}:${sa.port_value}`,
              e.health_status ?? 'UNKNOWN',
              loc,
            ]);
          }
        }
      }
      return pad(rows);
    }
  }
}

function action(r: Json): string {
  if (r.redirect) return `redirect ${r.redirect.path_redirect ?? ''}`;
  if (r.direct_response) return `direct ${r.direct_response.status}`;
  const wc = r.route?.weighted_clusters?.clusters as Json[] | undefined;
  if (wc) return wc.map((c) => `${c.name} ${c.weight}`).join(', ');
  return r.route?.cluster ?? '';
}

async function fetchJson(url: string): Promise<{ status: number; body: Json }> {
  const res = await fetch(url);
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : {} };
}

function listProxies(body: Json): string {
  const rows = [['NAME', 'MODE', 'SERVICE', 'LDS', 'RDS', 'CDS', 'EDS', 'NACKS']];
  for (const p of body.proxies ?? []) {
    const state = (name: string) =>
      p.streams?.[0]?.types?.find((t: Json) => t.type.includes(name))?.state ?? '-';
    rows.push([
      p.id,
      p.mode,
      p.service ?? '',
      state('Listener'),
      state('RouteConfiguration'),
      state('.Cluster'),
      state('ClusterLoadAssignment'),
      String(p.nacks?.length ?? 0),
    ]);
  }
  return pad(rows);
}

/** The `meshwork proxy-config` verb. */
export const command: Command = {
  summary: 'show the configuration the control plane last sent a proxy',
  async run(argv) {
    let parsed: ReturnType<typeof parseArgs>;
    try {
      parsed = parseArgs({
        args: argv,
        allowPositionals: true,
        options: {
          output: { type: 'string', short: 'o', default: 'table' },
          server: { type: 'string' },
          help: { type: 'boolean', short: 'h' },
        },
      });
    } catch (err) {
      console.error(`meshwork proxy-config: ${(err as Error).message}\n${USAGE}`);
      return 2;
    }
    const { values, positionals } = parsed;
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    const server = (
      (values.server as string | undefined) ??
      process.env.MESHWORK_SERVER ??
      DEFAULT_SERVER
    ).replace(/\/$/, '');
    const [nodeId, type = 'all'] = positionals;
    if (!TYPES.has(type)) {
      console.error(
        `meshwork proxy-config: "${type}" is not one of clusters, routes, listeners, endpoints, all`,
      );
      return 2;
    }
    try {
      if (!nodeId) {
        const { body } = await fetchJson(`${server}/v1/proxies`);
        console.log(values.output === 'json' ? JSON.stringify(body, null, 2) : listProxies(body));
        return 0;
      }
      const query = type === 'all' ? '' : `?type=${type}`;
      const { status, body } = await fetchJson(
        `${server}/v1/proxies/${encodeURIComponent(nodeId)}/config${query}`,
      );
      if (status !== 200) {
        console.error(`meshwork proxy-config: ${body.detail ?? `HTTP ${status}`}`);
        return 1;
      }
      if (values.output === 'json') {
        console.log(JSON.stringify(body, null, 2));
        return 0;
      }
      const kinds = type === 'all' ? ['listeners', 'routes', 'clusters', 'endpoints'] : [type];
      console.log(
        kinds
          .map(
            (k) =>
              `${k.toUpperCase()} (version ${body[k]?.version ?? '-'})\n${renderConfig(k, body[k]?.resources ?? [])}`,
          )
          .join('\n\n'),
      );
      return 0;
    } catch (err) {
      console.error(
        `meshwork proxy-config: cannot reach the control plane at ${server}: ${(err as Error).message}`,
      );
      return 1;
    }
  },
};
