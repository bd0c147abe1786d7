/**
 * The gRPC health probe, loaded on first use: `@grpc/grpc-js` costs ~12 MB of memory, so a proxy
 * whose clusters configure no gRPC health check never loads it.
 */
import type { UpstreamTlsConfig } from '../../tls/upstream-tls-context.js';
import type { UpstreamHost } from '../host.js';
import type { GrpcHealthProbe } from './grpc-health-check.js';
import type { GrpcCheckSettings } from './health-check-config.js';
import type { HealthProbe, ProbeResult } from './health-probe.js';

/** A {@link GrpcHealthProbe} created (and its module imported) when the first probe runs. */
export class LazyGrpcHealthProbe implements HealthProbe {
  private readonly settings: GrpcCheckSettings;
  private readonly clusterName: string;
  private readonly tls: UpstreamTlsConfig | undefined;
  private real: GrpcHealthProbe | undefined;
  private loading: Promise<GrpcHealthProbe> | undefined;
  private closed = false;

  /** Same arguments as {@link GrpcHealthProbe}'s constructor. */
  constructor(settings: GrpcCheckSettings, clusterName: string, tls?: UpstreamTlsConfig) {
    this.settings = settings;
    this.clusterName = clusterName;
    this.tls = tls;
  }

  probe(host: UpstreamHost, timeoutMs: number): Promise<ProbeResult> {
    if (this.real) return this.real.probe(host, timeoutMs);
    return this.load().then(
      (real) => (this.closed ? 'unhealthy' : real.probe(host, timeoutMs)),
      // The contract is "never rejects": a probe that cannot run counts as no answer.
      () => 'unhealthy' as const,
    );
  }

  forget(host: UpstreamHost): void {
    this.real?.forget(host);
  }

  close(): void {
    this.closed = true;
    this.real?.close();
  }

  private load(): Promise<GrpcHealthProbe> {
    this.loading ??= import('./grpc-health-check.js').then((m) => {
      this.real = new m.GrpcHealthProbe(this.settings, this.clusterName, this.tls);
      return this.real;
    });
    return this.loading;
  }
}
