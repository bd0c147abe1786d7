/** Compiles Envoy's `envoy.config.core.v3.HealthCheck` (HTTP, TCP and gRPC checkers). */
import { ProxyConfigError } from '../../errors.js';
import {
  at,
  readArray,
  readBool,
  readDurationMs,
  readEnum,
  readMessage,
  readString,
  readUint,
  requireString,
} from '../envoy-json.js';

/** `[start, end)` status range, as Envoy's `Int64Range`. */
export interface StatusRange {
  readonly start: number;
  readonly end: number;
}

/** HTTP check: GET (or `method`) `path`, healthy when the status is in an expected range. */
export interface HttpCheckSettings {
  readonly kind: 'http';
  readonly path: string;
  /** `Host` header; the cluster name when unset (Envoy's default). */
  readonly host: string | undefined;
  readonly method: string;
  readonly expectedStatuses: readonly StatusRange[];
  /** Unexpected statuses that count toward `unhealthy_threshold` instead of failing at once. */
  readonly retriableStatuses: readonly StatusRange[];
  readonly requestHeaders: readonly (readonly [string, string])[];
  /** `codec_client_type: HTTP2`: the check speaks cleartext HTTP/2 (prior knowledge). */
  readonly http2: boolean;
}

/** TCP check: connect; optionally send bytes and expect every `receive` payload in the reply. */
export interface TcpCheckSettings {
  readonly kind: 'tcp';
  readonly send: Buffer | undefined;
  readonly receive: readonly Buffer[];
}

/** gRPC check: `grpc.health.v1.Health/Check` over HTTP/2, healthy on `SERVING`. */
export interface GrpcCheckSettings {
  readonly kind: 'grpc';
  readonly serviceName: string;
  readonly authority: string | undefined;
}

/** One compiled health check. */
export interface HealthCheckSettings {
  readonly timeoutMs: number;
  readonly intervalMs: number;
  readonly intervalJitterMs: number;
  readonly intervalJitterPercent: number;
  readonly initialJitterMs: number;
  /** Interval after a failed check (Envoy `unhealthy_interval`, default `interval`). */
  readonly unhealthyIntervalMs: number;
  /** After a failed check that has not yet failed the host (default `unhealthy_interval`). */
  readonly unhealthyEdgeIntervalMs: number;
  /** After a passing check that has not yet restored the host (default `interval`). */
  readonly healthyEdgeIntervalMs: number;
  readonly unhealthyThreshold: number;
  readonly healthyThreshold: number;
  readonly check: HttpCheckSettings | TcpCheckSettings | GrpcCheckSettings;
}

const FIELDS = new Set([
  'timeout',
  'interval',
  'interval_jitter',
  'interval_jitter_percent',
  'initial_jitter',
  'unhealthy_threshold',
  'healthy_threshold',
  'unhealthy_interval',
  'unhealthy_edge_interval',
  'healthy_edge_interval',
  'no_traffic_interval',
  'reuse_connection',
  'http_health_check',
  'tcp_health_check',
  'grpc_health_check',
]);
const HTTP_FIELDS = new Set([
  'host',
  'path',
  'expected_statuses',
  'retriable_statuses',
  'method',
  'request_headers_to_add',
  'codec_client_type',
]);
const TCP_FIELDS = new Set(['send', 'receive']);
const GRPC_FIELDS = new Set(['service_name', 'authority']);
const RANGE_FIELDS = new Set(['start', 'end']);
const PAYLOAD_FIELDS = new Set(['text', 'binary']);
const HEADER_OPTION_FIELDS = new Set(['header', 'append', 'append_action']);
const HEADER_FIELDS = new Set(['key', 'value']);
/** RFC 9110 token, and field-value without control characters (a CR/LF would split the request). */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const METHODS = [
  'METHOD_UNSPECIFIED',
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'DELETE',
  'CONNECT',
  'OPTIONS',
  'TRACE',
  'PATCH',
];

/** Compiles one `health_checks[i]`; required fields are Envoy's required fields. */
export function compileHealthCheck(path: string, value: unknown): HealthCheckSettings {
  const hc = readMessage(path, value, FIELDS);
  for (const required of ['timeout', 'interval', 'unhealthy_threshold', 'healthy_threshold']) {
    if (hc[required] === undefined) throw new ProxyConfigError(at(path, required), 'is required');
  }
  const kinds = ['http_health_check', 'tcp_health_check', 'grpc_health_check'].filter(
    (k) => hc[k] !== undefined,
  );
  if (kinds.length !== 1) {
    throw new ProxyConfigError(
      path,
      'exactly one of http_health_check, tcp_health_check, grpc_health_check is required',
    );
  }
  const intervalMs = readDurationMs(at(path, 'interval'), hc.interval, 0);
  const timeoutMs = readDurationMs(at(path, 'timeout'), hc.timeout, 0);
  if (intervalMs <= 0) throw new ProxyConfigError(at(path, 'interval'), 'must be greater than 0');
  if (timeoutMs <= 0) throw new ProxyConfigError(at(path, 'timeout'), 'must be greater than 0');
  readBool(at(path, 'reuse_connection'), hc.reuse_connection, true);
  const unhealthyIntervalMs = readDurationMs(
    at(path, 'unhealthy_interval'),
    hc.unhealthy_interval,
    intervalMs,
  );
  readDurationMs(at(path, 'no_traffic_interval'), hc.no_traffic_interval, 60_000);
  return {
    timeoutMs,
    intervalMs,
    intervalJitterMs: readDurationMs(at(path, 'interval_jitter'), hc.interval_jitter, 0),
    intervalJitterPercent: readUint(at(path, 'interval_jitter_percent'), hc.interval_jitter_percent, 0, 100),
    initialJitterMs: readDurationMs(at(path, 'initial_jitter'), hc.initial_jitter, 0),
    unhealthyIntervalMs,
    unhealthyEdgeIntervalMs: readDurationMs(
      at(path, 'unhealthy_edge_interval'),
      hc.unhealthy_edge_interval,
      unhealthyIntervalMs,
    ),
    healthyEdgeIntervalMs: readDurationMs(
      at(path, 'healthy_edge_interval'),
      hc.healthy_edge_interval,
      intervalMs,
    ),
    unhealthyThreshold: Math.max(1, readUint(at(path, 'unhealthy_threshold'), hc.unhealthy_threshold, 1)),
    healthyThreshold: Math.max(1, readUint(at(path, 'healthy_threshold'), hc.healthy_threshold, 1)),
    check: compileCheck(path, kinds[0], hc[kinds[0]]),
  };
}

function compileCheck(path: string, kind: string, value: unknown): HealthCheckSettings['check'] {
  const p = at(path, kind);
  if (kind === 'tcp_health_check') {
    const tcp = readMessage(p, value, TCP_FIELDS);
    return {
      kind: 'tcp',
      send: tcp.send === undefined ? undefined : compilePayload(at(p, 'send'), tcp.send),
      receive: readArray(at(p, 'receive'), tcp.receive).map((r, i) =>
        compilePayload(at(at(p, 'receive'), i), r),
      ),
    };
  }
  if (kind === 'grpc_health_check') {
    const grpc = readMessage(p, value, GRPC_FIELDS);
    return {
      kind: 'grpc',
      serviceName: readString(at(p, 'service_name'), grpc.service_name) ?? '',
      authority: readString(at(p, 'authority'), grpc.authority) || undefined,
    };
  }
  return compileHttpCheck(p, value);
}

function compileHttpCheck(p: string, value: unknown): HttpCheckSettings {
  const http = readMessage(p, value, HTTP_FIELDS);
  const codec = readEnum(at(p, 'codec_client_type'), http.codec_client_type, ['HTTP1', 'HTTP2'], 'HTTP1');
  const method = readEnum(at(p, 'method'), http.method, METHODS, 'METHOD_UNSPECIFIED');
  if (method === 'CONNECT') throw new ProxyConfigError(at(p, 'method'), 'unsupported value "CONNECT"');
  const ranges = compileStatusRanges(at(p, 'expected_statuses'), http.expected_statuses);
  const headers = readArray(at(p, 'request_headers_to_add'), http.request_headers_to_add).map((h, i) => {
    const hp = at(at(p, 'request_headers_to_add'), i);
    const option = readMessage(hp, h, HEADER_OPTION_FIELDS);
    const header = readMessage(at(hp, 'header'), option.header, HEADER_FIELDS);
    const key = requireString(at(at(hp, 'header'), 'key'), header.key);
    const headerValue = readString(at(at(hp, 'header'), 'value'), header.value) ?? '';
    if (!HEADER_NAME.test(key))
      throw new ProxyConfigError(at(at(hp, 'header'), 'key'), 'is not a valid header name');
    if (!HEADER_VALUE.test(headerValue)) {
      throw new ProxyConfigError(
        at(at(hp, 'header'), 'value'),
        'contains characters not allowed in a header',
      );
    }
    return [key, headerValue] as const;
  });
  return {
    kind: 'http',
    path: requireString(at(p, 'path'), http.path),
    host: readString(at(p, 'host'), http.host) || undefined,
    method: method === 'METHOD_UNSPECIFIED' ? 'GET' : method,
    http2: codec === 'HTTP2',
    expectedStatuses: ranges.length > 0 ? ranges : [{ start: 200, end: 201 }],
    retriableStatuses: compileStatusRanges(at(p, 'retriable_statuses'), http.retriable_statuses),
    requestHeaders: headers,
  };
}

/** `[start, end)` HTTP status ranges (Envoy `type.v3.Int64Range`). */
function compileStatusRanges(path: string, value: unknown): StatusRange[] {
  return readArray(path, value).map((r, i) => {
    const rp = at(path, i);
    const range = readMessage(rp, r, RANGE_FIELDS);
    const start = readUint(at(rp, 'start'), range.start, 0, 600);
    const end = readUint(at(rp, 'end'), range.end, 0, 601);
    if (start < 100 || end <= start)
      throw new ProxyConfigError(rp, `invalid status range [${start}, ${end})`);
    return { start, end };
  });
}

/** Envoy `HealthCheck.Payload`: `text` is hex, `binary` is base64 bytes. */
function compilePayload(path: string, value: unknown): Buffer {
  const payload = readMessage(path, value, PAYLOAD_FIELDS);
  if (payload.text !== undefined) {
    const hex = requireString(at(path, 'text'), payload.text);
    if (!/^([0-9a-fA-F]{2})+$/.test(hex)) throw new ProxyConfigError(at(path, 'text'), 'must be hex bytes');
    return Buffer.from(hex, 'hex');
  }
  if (payload.binary !== undefined)
    return Buffer.from(requireString(at(path, 'binary'), payload.binary), 'base64');
  throw new ProxyConfigError(path, 'one of text or binary is required');
}
