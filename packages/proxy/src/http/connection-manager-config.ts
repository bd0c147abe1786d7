/**
 * `envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager`,
 * compiled once per listener filter chain: codec limits, path normalisation, forwarding headers,
 * the HTTP filter chain and where routes come from (inline `route_config` or `rds`).
 */
import { ProxyConfigError } from '../errors.js';
import type { HttpFilter } from '../filters/filter.js';
import { createHttpFilter } from '../filters/registry.js';
import type { EscapedSlashesAction, PathNormalization } from '../router/path-normalize.js';
import { compileRouteConfig, type RouteTable } from '../router/route-config.js';
import { compileXfcc, type XfccConfig } from '../tls/xfcc.js';
import { arr, bool, duration, type Json, obj, str, uint } from '../xds/fields.js';
import type { Http1ServerLimits } from './http1-server-connection.js';

/** HCM `@type`. */
export const HCM_TYPE_URL =
  'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';

/** A compiled HTTP connection manager. */
export interface HcmConfig {
  readonly statPrefix: string;
  readonly limits: Http1ServerLimits;
  readonly normalization: PathNormalization;
  readonly useRemoteAddress: boolean;
  readonly skipXffAppend: boolean;
  readonly generateRequestId: boolean;
  readonly preserveExternalRequestId: boolean;
  /** 0 = none (Envoy default 5 min). */
  readonly streamIdleTimeoutMs: number;
  /** 0 = none. */
  readonly requestTimeoutMs: number;
  readonly filters: readonly HttpFilter[];
  /** Upgrade types allowed to pass (`upgrade_configs`), lower-case. */
  readonly upgrades: ReadonlySet<string>;
  /** Inline routes, or null when routes come from RDS. */
  readonly routeConfig: RouteTable | null;
  /** RDS route configuration name, or null for inline routes. */
  readonly rdsName: string | null;
  /** Access log paths (`/dev/stdout` for stdout); see access-log/. */
  readonly accessLogPaths: readonly string[];
  /** `server` response header to set, or null to pass the upstream's through. */
  readonly serverName: string | null;
  /** `codec_type`: AUTO sniffs the HTTP/2 connection preface (h2c prior knowledge). */
  readonly codec: 'AUTO' | 'HTTP1' | 'HTTP2';
  /** `forward_client_cert_details` / `set_current_client_cert_details` (XFCC). */
  readonly xfcc: XfccConfig;
  /** `http2_protocol_options.max_concurrent_streams` (default 100). */
  readonly maxConcurrentStreams: number;
}

const FIELDS = [
  'stat_prefix',
  'codec_type',
  'route_config',
  'rds',
  'http_filters',
  'access_log',
  'use_remote_address',
  'skip_xff_append',
  'generate_request_id',
  'preserve_external_request_id',
  'max_request_headers_kb',
  'common_http_protocol_options',
  'stream_idle_timeout',
  'request_timeout',
  'request_headers_timeout',
  'normalize_path',
  'merge_slashes',
  'path_with_escaped_slashes_action',
  'upgrade_configs',
  'http2_protocol_options',
  'forward_client_cert_details',
  'set_current_client_cert_details',
  'server_name',
];

/** Default request body limit; Envoy buffers up to 1 MiB per connection, we stream but cap at this. */
const DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024;

/** Compiles an HCM `typed_config` (without `@type`). */
export function compileHcm(v: unknown, path: string): HcmConfig {
  const o = obj(v, path, FIELDS);
  const codec = str(o, 'codec_type', path) ?? 'AUTO';
  if (codec !== 'AUTO' && codec !== 'HTTP1' && codec !== 'HTTP2')
    throw new ProxyConfigError(`${path}.codec_type`, `codec ${codec} is not supported yet (HTTP1, AUTO)`);
  if ((o.route_config === undefined) === (o.rds === undefined))
    throw new ProxyConfigError(path, 'exactly one of route_config or rds is required');
  const common =
    o.common_http_protocol_options !== undefined
      ? obj(o.common_http_protocol_options, `${path}.common_http_protocol_options`, [
          'idle_timeout',
          'max_requests_per_connection',
        ])
      : ({} as Json);
  const filterEntries = arr(o, 'http_filters', path);
  const filters: HttpFilter[] = [];
  filterEntries.forEach((f, i) => {
    const p = `${path}.http_filters[${i}]`;
    const filter = createHttpFilter(obj(f, p, ['name', 'typed_config', 'is_optional']), p);
    if (filter !== null) filters.push(filter);
  });
  if (filters.length === 0 || filters[filters.length - 1].name !== 'envoy.filters.http.router') {
    throw new ProxyConfigError(
      `${path}.http_filters`,
      'the last HTTP filter must be envoy.filters.http.router',
    );
  }
  let rdsName: string | null = null;
  if (o.rds !== undefined) {
    const r = obj(o.rds, `${path}.rds`, ['route_config_name', 'config_source']);
    rdsName = str(r, 'route_config_name', `${path}.rds`, true);
  }
  return {
    statPrefix: str(o, 'stat_prefix', path, true),
    limits: {
      maxHeaderBytes: uint(o, 'max_request_headers_kb', path, 60) * 1024,
      maxBodyBytes: DEFAULT_MAX_BODY_BYTES,
      idleTimeoutMs: duration(common, 'idle_timeout', `${path}.common_http_protocol_options`, 3_600_000),
      requestHeadersTimeoutMs: duration(o, 'request_headers_timeout', path, 0),
      maxRequestsPerConnection: uint(
        common,
        'max_requests_per_connection',
        `${path}.common_http_protocol_options`,
        0,
      ),
    },
    normalization: {
      normalizePath: bool(o, 'normalize_path', path, true),
      mergeSlashes: bool(o, 'merge_slashes', path, true),
      escapedSlashes: escapedSlashes(o, path),
    },
    useRemoteAddress: bool(o, 'use_remote_address', path, false),
    skipXffAppend: bool(o, 'skip_xff_append', path, false),
    generateRequestId: bool(o, 'generate_request_id', path, true),
    preserveExternalRequestId: bool(o, 'preserve_external_request_id', path, false),
    streamIdleTimeoutMs: duration(o, 'stream_idle_timeout', path, 300_000),
    requestTimeoutMs: duration(o, 'request_timeout', path, 0),
    filters,
    upgrades: new Set(
      arr(o, 'upgrade_configs', path).map((u, i) => upgradeType(u, `${path}.upgrade_configs[${i}]`)),
    ),
    routeConfig:
      o.route_config !== undefined ? compileRouteConfig(o.route_config, `${path}.route_config`) : null,
    rdsName,
    accessLogPaths: arr(o, 'access_log', path).map((a, i) => accessLogPath(a, `${path}.access_log[${i}]`)),
    serverName: str(o, 'server_name', path) ?? null,
    codec: codec as HcmConfig['codec'],
    xfcc: compileXfcc(o, path),
    maxConcurrentStreams: http2MaxStreams(o, path),
  };
}

function http2MaxStreams(o: Json, path: string): number {
  if (o.http2_protocol_options === undefined) return 100;
  const p = `${path}.http2_protocol_options`;
  const h = obj(o.http2_protocol_options, p, ['max_concurrent_streams']);
  const n = uint(h, 'max_concurrent_streams', p, 100);
  if (n < 1) throw new ProxyConfigError(`${p}.max_concurrent_streams`, 'must be at least 1');
  return n;
}

function escapedSlashes(o: Json, path: string): EscapedSlashesAction {
  const v = str(o, 'path_with_escaped_slashes_action', path) ?? 'KEEP_UNCHANGED';
  if (v === 'IMPLEMENTATION_SPECIFIC_DEFAULT') return 'KEEP_UNCHANGED';
  if (v !== 'KEEP_UNCHANGED' && v !== 'REJECT_REQUEST' && v !== 'UNESCAPE_AND_FORWARD') {
    throw new ProxyConfigError(`${path}.path_with_escaped_slashes_action`, `unsupported value "${v}"`);
  }
  return v;
}

function upgradeType(v: unknown, path: string): string {
  const o = obj(v, path, ['upgrade_type', 'enabled']);
  return str(o, 'upgrade_type', path, true).toLowerCase();
}

const FILE_LOG = 'type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog';
const STDOUT_LOG = 'type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StdoutAccessLog';

/** An `access_log[]` entry (file or stdout logger) as the path its JSON lines go to. */
export function accessLogPath(v: unknown, path: string): string {
  const o = obj(v, path, ['name', 'typed_config']);
  const t = obj(o.typed_config, `${path}.typed_config`, ['@type', 'path', 'log_format']);
  if (t['@type'] === STDOUT_LOG) return '/dev/stdout';
  if (t['@type'] !== FILE_LOG)
    throw new ProxyConfigError(
      `${path}.typed_config.@type`,
      `unsupported access logger "${String(t['@type'])}"`,
    );
  if (t.log_format !== undefined) {
    throw new ProxyConfigError(
      `${path}.typed_config.log_format`,
      'custom formats are not supported; entries are JSON with the fixed field set',
    );
  }
  return str(t, 'path', `${path}.typed_config`, true);
}
