/**
 * Compiles a cluster's upstream HTTP protocol choice: `typed_extension_protocol_options`
 * (`envoy.extensions.upstreams.http.v3.HttpProtocolOptions`) or the legacy cluster-level
 * `http2_protocol_options`.
 */
import { ProxyConfigError } from '../errors.js';
import { at, type EnvoyJson, readDurationMs, readMessage, readObject, readUint } from './envoy-json.js';

/** Envoy `Http2ProtocolOptions` values the engine's HTTP/2 pool applies. */
export interface Http2Settings {
  readonly maxConcurrentStreams: number;
  readonly initialStreamWindowSize: number;
  readonly initialConnectionWindowSize: number;
  readonly hpackTableSize: number;
}

/** How the engine talks to the cluster's hosts. */
export interface UpstreamProtocolSettings {
  readonly http2: boolean;
  /** Envoy defaults (2^31 − 1 streams, 256 MiB windows, 4 KiB HPACK table). */
  readonly http2Settings: Http2Settings;
  /** `max_requests_per_connection`; Infinity when unset (Envoy: no limit). */
  readonly maxRequestsPerConnection: number;
  /** `idle_timeout` for pooled connections (Envoy default 1 h). */
  readonly idleTimeoutMs: number;
}

const KEY = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
const TYPE = `type.googleapis.com/${KEY}`;
const OPTIONS_FIELDS = new Set(['@type', 'explicit_http_config', 'common_http_protocol_options']);
const EXPLICIT_FIELDS = new Set(['http_protocol_options', 'http2_protocol_options']);
const COMMON_FIELDS = new Set(['idle_timeout', 'max_requests_per_connection']);
const HTTP1_FIELDS = new Set<string>();
const HTTP2_FIELDS = new Set([
  'max_concurrent_streams',
  'initial_stream_window_size',
  'initial_connection_window_size',
  'hpack_table_size',
]);

const DEFAULT_HTTP2: Http2Settings = Object.freeze({
  maxConcurrentStreams: 2147483647,
  initialStreamWindowSize: 268435456,
  initialConnectionWindowSize: 268435456,
  hpackTableSize: 4096,
});

const DEFAULTS: UpstreamProtocolSettings = Object.freeze({
  http2: false,
  http2Settings: DEFAULT_HTTP2,
  maxRequestsPerConnection: Number.POSITIVE_INFINITY,
  idleTimeoutMs: 3_600_000,
});

/** Compiles the protocol fields of cluster `c` at `path`. */
export function compileProtocolOptions(path: string, c: EnvoyJson): UpstreamProtocolSettings {
  let out = DEFAULTS;
  if (c.http2_protocol_options !== undefined) {
    const http2Settings = compileHttp2(at(path, 'http2_protocol_options'), c.http2_protocol_options);
    out = { ...out, http2: true, http2Settings };
  }
  if (c.typed_extension_protocol_options === undefined) return out;
  const mapPath = at(path, 'typed_extension_protocol_options');
  const map = readObject(mapPath, c.typed_extension_protocol_options);
  for (const key of Object.keys(map)) {
    if (key !== KEY) throw new ProxyConfigError(at(mapPath, key), 'unsupported protocol options extension');
  }
  return Object.freeze(compileHttpProtocolOptions(at(mapPath, KEY), map[KEY], out));
}

/** `HttpProtocolOptions`: an explicit protocol choice plus common connection options. */
function compileHttpProtocolOptions(
  p: string,
  value: unknown,
  base: UpstreamProtocolSettings,
): UpstreamProtocolSettings {
  const options = readMessage(p, value, OPTIONS_FIELDS);
  if (options['@type'] !== TYPE) {
    throw new ProxyConfigError(at(p, '@type'), `expected ${TYPE}, got ${JSON.stringify(options['@type'])}`);
  }
  if (options.explicit_http_config === undefined) {
    throw new ProxyConfigError(at(p, 'explicit_http_config'), 'is required (auto_config is not supported)');
  }
  const ep = at(p, 'explicit_http_config');
  const explicit = readMessage(ep, options.explicit_http_config, EXPLICIT_FIELDS);
  if ((explicit.http2_protocol_options === undefined) === (explicit.http_protocol_options === undefined)) {
    throw new ProxyConfigError(
      ep,
      'exactly one of http_protocol_options, http2_protocol_options is required',
    );
  }
  const http2 = explicit.http2_protocol_options !== undefined;
  let http2Settings = base.http2Settings;
  if (http2) http2Settings = compileHttp2(at(ep, 'http2_protocol_options'), explicit.http2_protocol_options);
  else readMessage(at(ep, 'http_protocol_options'), explicit.http_protocol_options, HTTP1_FIELDS);
  let { maxRequestsPerConnection, idleTimeoutMs } = base;
  if (options.common_http_protocol_options !== undefined) {
    const cp = at(p, 'common_http_protocol_options');
    const common = readMessage(cp, options.common_http_protocol_options, COMMON_FIELDS);
    const max = readUint(at(cp, 'max_requests_per_connection'), common.max_requests_per_connection, 0);
    if (max > 0) maxRequestsPerConnection = max;
    idleTimeoutMs = readDurationMs(at(cp, 'idle_timeout'), common.idle_timeout, idleTimeoutMs);
  }
  return { http2, http2Settings, maxRequestsPerConnection, idleTimeoutMs };
}

function compileHttp2(path: string, value: unknown): Http2Settings {
  const o = readMessage(path, value, HTTP2_FIELDS);
  const d = DEFAULT_HTTP2;
  return Object.freeze({
    maxConcurrentStreams: readUint(
      at(path, 'max_concurrent_streams'),
      o.max_concurrent_streams,
      d.maxConcurrentStreams,
    ),
    initialStreamWindowSize: readUint(
      at(path, 'initial_stream_window_size'),
      o.initial_stream_window_size,
      d.initialStreamWindowSize,
    ),
    initialConnectionWindowSize: readUint(
      at(path, 'initial_connection_window_size'),
      o.initial_connection_window_size,
      d.initialConnectionWindowSize,
    ),
    hpackTableSize: readUint(at(path, 'hpack_table_size'), o.hpack_table_size, d.hpackTableSize),
  });
}
