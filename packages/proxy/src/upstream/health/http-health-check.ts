/**
 * Envoy's HTTP health check: a request to `path` with `User-Agent: Envoy/HC` and `Host` set to the
 * check's `host`, else the endpoint's health-check hostname, else the cluster name (Envoy's order);
 * healthy when the status falls in `expected_statuses`; a status in `retriable_statuses` counts
 * toward `unhealthy_threshold`, any other fails the host at once.
 */
import { request } from 'node:http';
import { connect as connectHttp2 } from 'node:http2';
import type { TLSSocket } from 'node:tls';
import { connectUpstreamTls, type UpstreamTlsConfig } from '../../tls/upstream-tls-context.js';
import type { UpstreamHost } from '../host.js';
import { hostKey } from '../host.js';
import type { HttpCheckSettings, StatusRange } from './health-check-config.js';
import type { HealthProbe, ProbeResult } from './health-probe.js';

/** HTTP/1.1 or HTTP/2 health probe (over the cluster's TLS when it has one); one connection per check. */
export class HttpHealthProbe implements HealthProbe {
  private readonly settings: HttpCheckSettings;
  private readonly clusterName: string;
  private readonly tls: UpstreamTlsConfig | undefined;
  private readonly headers: Record<string, string>;

  /** `tls`: the cluster's transport socket; checks run through it as Envoy's do. */
  constructor(settings: HttpCheckSettings, clusterName: string, tls?: UpstreamTlsConfig) {
    this.settings = settings;
    this.clusterName = clusterName;
    this.tls = tls;
    this.headers = { 'user-agent': 'Envoy/HC', connection: 'close' };
    for (const [k, v] of settings.requestHeaders) this.headers[k.toLowerCase()] = v;
  }

  probe(host: UpstreamHost, timeoutMs: number): Promise<ProbeResult> {
    return this.settings.http2 ? this.probeHttp2(host, timeoutMs) : this.probeHttp1(host, timeoutMs);
  }

  private hostHeader(host: UpstreamHost): string {
    return this.settings.host ?? host.healthCheckHostname ?? this.clusterName;
  }

  private probeHttp1(host: UpstreamHost, timeoutMs: number): Promise<ProbeResult> {
    return new Promise((resolve) => {
      let settled = false;
      const done = (result: ProbeResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        req.destroy();
        resolve(result);
      };
      const req = request({
        host: host.address,
        port: host.healthCheckPort,
        path: this.settings.path,
        method: this.settings.method,
        headers: { ...this.headers, host: this.hostHeader(host) },
        // Node ignores createConnection when an agent is given (even `false`), so TLS goes agentless.
        ...(this.tls ? { createConnection: () => this.connectTls(host, 'http/1.1') } : { agent: false }),
      });
      const timer = setTimeout(() => done('unhealthy'), timeoutMs);
      req.on('response', (res) => {
        const status = res.statusCode ?? 0;
        res.resume();
        done(this.judge(status));
      });
      req.on('error', () => done('unhealthy'));
      req.end();
    });
  }

  private probeHttp2(host: UpstreamHost, timeoutMs: number): Promise<ProbeResult> {
    return new Promise((resolve) => {
      let settled = false;
      const authority = `${this.tls ? 'https' : 'http'}://${hostKey(host.address, host.healthCheckPort)}`;
      const session = this.tls
        ? connectHttp2(authority, { createConnection: () => this.connectTls(host, 'h2') })
        : connectHttp2(authority);
      const done = (result: ProbeResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        session.destroy();
        resolve(result);
      };
      const timer = setTimeout(() => done('unhealthy'), timeoutMs);
      session.on('error', () => done('unhealthy'));
      const headers: Record<string, string> = {
        ...this.headers,
        ':method': this.settings.method,
        ':path': this.settings.path,
        ':authority': this.hostHeader(host),
      };
      delete headers.connection;
      const stream = session.request(headers, { endStream: true });
      stream.on('response', (h) => done(this.judge(Number(h[':status']))));
      stream.on('error', () => done('unhealthy'));
    });
  }

  private connectTls(host: UpstreamHost, alpn: string): TLSSocket {
    return connectUpstreamTls(this.tls!, host.address, host.healthCheckPort, alpn);
  }

  /** Expected → healthy; retriable → counts toward the threshold; anything else fails at once. */
  private judge(status: number): ProbeResult {
    if (inRanges(this.settings.expectedStatuses, status)) return 'healthy';
    return inRanges(this.settings.retriableStatuses, status) ? 'unhealthy-retriable' : 'unhealthy-now';
  }

  forget(): void {}

  close(): void {}
}

function inRanges(ranges: readonly StatusRange[], status: number): boolean {
  for (const r of ranges) if (status >= r.start && status < r.end) return true;
  return false;
}
