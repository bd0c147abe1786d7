/**
 * Envoy's TCP health check: connect (healthy on connect when nothing is to be exchanged), or send
 * the `send` bytes and wait until every `receive` payload has appeared in the reply, in order.
 */
import { connect } from 'node:net';
import { connectUpstreamTls, type UpstreamTlsConfig } from '../../tls/upstream-tls-context.js';
import type { UpstreamHost } from '../host.js';
import type { TcpCheckSettings } from './health-check-config.js';
import type { HealthProbe, ProbeResult } from './health-probe.js';

/** TCP health probe; one connection per check. */
export class TcpHealthProbe implements HealthProbe {
  private readonly settings: TcpCheckSettings;
  private readonly tls: UpstreamTlsConfig | undefined;

  /** `tls`: the cluster's transport socket; checks run through it as Envoy's do. */
  constructor(settings: TcpCheckSettings, tls?: UpstreamTlsConfig) {
    this.settings = settings;
    this.tls = tls;
  }

  probe(host: UpstreamHost, timeoutMs: number): Promise<ProbeResult> {
    const { send, receive } = this.settings;
    return new Promise((resolve) => {
      let settled = false;
      let received = Buffer.alloc(0);
      const socket = this.tls
        ? connectUpstreamTls(this.tls, host.address, host.healthCheckPort, 'http/1.1')
        : connect({ host: host.address, port: host.healthCheckPort });
      const done = (result: ProbeResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.destroy();
        resolve(result);
      };
      const timer = setTimeout(() => done('unhealthy'), timeoutMs);
      socket.on(this.tls ? 'secureConnect' : 'connect', () => {
        if (send) socket.write(send);
        if (receive.length === 0) done('healthy');
      });
      socket.on('data', (chunk: Buffer) => {
        received = Buffer.concat([received, chunk]);
        if (containsInOrder(received, receive)) done('healthy');
      });
      socket.on('error', () => done('unhealthy'));
      socket.on('close', () => done('unhealthy'));
    });
  }

  forget(): void {}

  close(): void {}
}

/** Whether every payload occurs in `data`, each after the previous one (Envoy's matcher). */
export function containsInOrder(data: Buffer, payloads: readonly Buffer[]): boolean {
  let from = 0;
  for (const p of payloads) {
    const i = data.indexOf(p, from);
    if (i < 0) return false;
    from = i + p.length;
  }
  return true;
}
