/**
 * One request inside the HCM: normalises the path, assigns `x-request-id`, sets the forwarding
 * headers, matches the route once, runs the HTTP filter chain, and encodes the response back to
 * the downstream codec. It also owns the access-log entry and per-request stats, written once
 * when the request ends, however it ends.
 */
import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import type { FilterStatus, FilterStream, ResponseFlag } from '../filters/filter.js';
import { grpcLocalReplyStatus, isGrpcRequest } from '../http2/grpc-local-reply.js';
import { applyHeaderMutation, indexOfHeader, setHeader } from '../router/header-mutation.js';
import { normalizePath } from '../router/path-normalize.js';
import { matchRequest, type RouteTable, type VirtualHost } from '../router/route-config.js';
import type { RouteEntry } from '../router/route-entry.js';
import type { RouteRequest } from '../router/route-request.js';
import { applyXfcc } from '../tls/xfcc.js';
import type { HttpConnectionManager } from './connection-manager.js';
import type { DownstreamStream, StreamCallbacks } from './stream.js';

/** What the router filter installs on a stream to hear about the downstream. */
export interface DownstreamWatcher {
  onDownstreamReset(): void;
  onDownstreamDrain(): void;
}

/** A request in the HTTP connection manager. */
export class ActiveStream implements FilterStream, RouteRequest, StreamCallbacks {
  readonly startMs = performance.now();
  readonly startTime = Date.now();
  method: string;
  path = '/';
  query = '';
  authority: string;
  scheme: string;
  readonly requestHeaders: string[];
  readonly headers: string[];
  readonly remoteAddress: string;
  routeTable: RouteTable | null = null;
  route: RouteEntry | null = null;
  vhost: VirtualHost | null = null;
  requestId = '';
  responseCode = 0;
  responseFlags = '';
  upstreamHost: string | null = null;
  upstreamCluster: string | null = null;
  upstreamServiceTimeMs: number | null = null;
  attempts = 0;
  ended = false;
  /** The router's upstream request, told about downstream resets and drains. */
  watcher: DownstreamWatcher | null = null;
  private filterIndex = 0;
  private timers: NodeJS.Timeout[] | null = null;

  constructor(
    readonly hcm: HttpConnectionManager,
    readonly downstream: DownstreamStream,
  ) {
    this.method = downstream.method;
    this.authority = downstream.authority;
    this.scheme = downstream.scheme;
    this.requestHeaders = downstream.headers;
    this.headers = downstream.headers;
    this.remoteAddress = downstream.remoteAddress;
    downstream.callbacks = this;
  }

  start(): void {
    const cfg = this.hcm.config;
    const raw = this.downstream.rawPath;
    const q = raw.indexOf('?');
    const normalized = normalizePath(q < 0 ? raw : raw.slice(0, q), cfg.normalization);
    if (normalized === null) {
      this.sendLocalReply(400, 'invalid path', 'DPE');
      return;
    }
    this.path = normalized;
    this.query = q < 0 ? '' : raw.slice(q + 1);
    this.setForwardingHeaders();
    for (const h of this.hcm.runtime.hooks) h.onRequestStart?.(this);
    if (this.downstream.upgrade !== '' && !cfg.upgrades.has(this.downstream.upgrade.toLowerCase())) {
      this.sendLocalReply(403, 'upgrade not allowed', null);
      return;
    }
    this.routeTable = this.hcm.routeTable();
    const m = this.routeTable === null ? null : matchRequest(this.routeTable, this);
    if (m !== null) {
      this.route = m.route;
      this.vhost = m.vhost;
    }
    this.runFilters();
  }

  private setForwardingHeaders(): void {
    const cfg = this.hcm.config;
    const h = this.requestHeaders;
    const idIdx = indexOfHeader(h, 'x-request-id');
    if (idIdx >= 0 && (cfg.preserveExternalRequestId || !cfg.useRemoteAddress)) this.requestId = h[idIdx + 1];
    else if (cfg.generateRequestId) {
      this.requestId = randomUUID();
      setHeader(h, 'x-request-id', this.requestId);
    }
    if (cfg.useRemoteAddress) {
      if (!cfg.skipXffAppend) {
        const xff = indexOfHeader(h, 'x-forwarded-for');
        if (xff >= 0) h[xff + 1] = h[xff + 1] + ', ' + this.remoteAddress;
        else h.push('x-forwarded-for', this.remoteAddress);
      }
      setHeader(h, 'x-forwarded-proto', this.scheme);
    } else if (indexOfHeader(h, 'x-forwarded-proto') < 0) {
      h.push('x-forwarded-proto', this.scheme);
    }
    applyXfcc(cfg.xfcc, h, this.downstream.peer);
  }

  private runFilters(): void {
    const filters = this.hcm.config.filters;
    while (this.filterIndex < filters.length && !this.ended) {
      const f = filters[this.filterIndex++];
      let status: FilterStatus;
      try {
        status = f.decodeHeaders(this);
      } catch (err) {
        // A filter bug must cost this request only, never the process.
        this.sendLocalReply(500, `filter ${f.name} failed: ${(err as Error).message}`, null);
        return;
      }
      if (status === 'stop') return;
    }
  }

  continueDecoding(): void {
    if (!this.ended) this.runFilters();
  }

  addResponseFlag(flag: ResponseFlag): void {
    if (this.responseFlags.indexOf(flag) >= 0) return;
    this.responseFlags = this.responseFlags === '' ? flag : this.responseFlags + ',' + flag;
  }

  setTimer(ms: number, fn: () => void): void {
    const t = setTimeout(fn, ms);
    if (this.timers === null) this.timers = [];
    this.timers.push(t);
  }

  sendLocalReply(status: number, body: string, flag: ResponseFlag | null, grpcStatus = -1): void {
    if (this.ended) return;
    if (flag !== null) this.addResponseFlag(flag);
    if (this.downstream.headersSent) {
      this.resetDownstream();
      return;
    }
    // gRPC clients get a trailers-only reply (HTTP 200 + grpc-status), as Envoy sends them.
    if (grpcStatus < 0 && isGrpcRequest(this.requestHeaders)) grpcStatus = grpcLocalReplyStatus(status, flag);
    if (grpcStatus >= 0) status = 200;
    const headers: string[] = [];
    let payload: Buffer | null = null;
    if (grpcStatus >= 0) {
      headers.push(
        'content-type',
        'application/grpc',
        'grpc-status',
        String(grpcStatus),
        'grpc-message',
        encodeURIComponent(body),
      );
    } else if (body !== '') {
      payload = Buffer.from(body);
      headers.push('content-type', 'text/plain');
    }
    this.encodeHeaders(status, headers, payload === null ? 0 : payload.length, payload === null);
    if (payload !== null) {
      this.encodeData(payload);
      this.encodeEnd();
    }
  }

  /** Writes the response head downstream, after route/vhost/config header mutations and filters. */
  encodeHeaders(status: number, headers: string[], contentLength: number, endStream: boolean): void {
    if (this.ended) return;
    this.responseCode = status;
    const route = this.route;
    if (route !== null) {
      applyHeaderMutation(route.responseHeaders, headers);
      applyHeaderMutation(this.vhost!.responseHeaders, headers);
      applyHeaderMutation(this.routeTable!.responseHeaders, headers);
    }
    const cfg = this.hcm.config;
    if (cfg.serverName !== null) setHeader(headers, 'server', cfg.serverName);
    const filters = cfg.filters;
    for (let i = filters.length - 1; i >= 0; i--) filters[i].encodeHeaders?.(this, status, headers);
    this.downstream.writeHead(status, headers, contentLength, endStream);
    if (endStream) this.finish();
  }

  /** Body bytes downstream; false = back-pressure. */
  encodeData(chunk: Buffer): boolean {
    if (this.ended) return true;
    return this.downstream.writeData(chunk);
  }

  encodeEnd(trailers: string[] | null = null): void {
    if (this.ended) return;
    this.downstream.end(trailers);
    this.finish();
  }

  /** Writes a `101` head and hands both sockets to a byte tunnel (WebSocket and other upgrades). */
  startTunnel(headers: string[], upstream: Socket, leftover: Buffer | null): void {
    if (this.ended) {
      upstream.destroy();
      return;
    }
    this.responseCode = 101;
    this.downstream.writeHead(101, headers, -1, false);
    this.downstream.tunnel(upstream, leftover);
    this.finish();
  }

  /** Aborts the downstream (a failure after the response started). */
  resetDownstream(): void {
    if (this.ended) return;
    this.downstream.reset();
    this.finish();
  }

  /** {@link StreamCallbacks}: the client went away. */
  onDownstreamReset(): void {
    if (this.ended) return;
    this.addResponseFlag('DC');
    const w = this.watcher;
    this.watcher = null;
    w?.onDownstreamReset();
    this.finish();
  }

  onDownstreamDrain(): void {
    this.watcher?.onDownstreamDrain();
  }

  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    this.watcher = null;
    if (this.timers !== null) for (const t of this.timers) clearTimeout(t);
    const hcm = this.hcm;
    hcm.stats.response(this.responseCode);
    const route = this.route;
    if (route !== null && route.name !== '') {
      hcm.runtime
        .routeStats(this.vhost!.name, route.name)
        .response(this.responseCode, performance.now() - this.startMs);
    }
    for (const h of hcm.runtime.hooks) h.onRequestEnd?.(this);
    if (hcm.accessLogs.length > 0) this.writeAccessLog();
    hcm.requestDone();
  }

  private writeAccessLog(): void {
    const d = this.downstream;
    const ua = indexOfHeader(this.requestHeaders, 'user-agent');
    const entry = {
      start_time: new Date(this.startTime).toISOString(),
      method: this.method,
      path: this.downstream.rawPath,
      protocol: d.protocol,
      response_code: this.responseCode,
      response_flags: this.responseFlags === '' ? '-' : this.responseFlags,
      bytes_received: d.bodyBytesReceived,
      bytes_sent: d.bytesSent,
      duration_ms: Math.round((performance.now() - this.startMs) * 1000) / 1000,
      upstream_service_time_ms: this.upstreamServiceTimeMs,
      upstream_host: this.upstreamHost,
      upstream_cluster: this.upstreamCluster,
      route_name: this.route?.name || null,
      x_request_id: this.requestId || null,
      user_agent: ua >= 0 ? this.requestHeaders[ua + 1] : null,
      authority: this.authority,
      downstream_remote_address: this.remoteAddress,
      attempts: this.attempts,
    };
    for (const log of this.hcm.accessLogs) log.write(entry);
  }
}
