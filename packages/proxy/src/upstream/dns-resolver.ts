/**
 * DNS discovery for STRICT_DNS and LOGICAL_DNS clusters: each endpoint's address is resolved at
 * apply time and every `dns_refresh_rate`. STRICT_DNS makes one host per resolved address;
 * LOGICAL_DNS makes one "logical host" keyed by `name:port` whose address is the first answer, so
 * a rotating DNS answer moves new connections without replacing the host or its pool. A failed lookup keeps that
 * name's last good addresses, so a DNS blip never empties a cluster.
 */
import { lookup } from 'node:dns/promises';
import type { Clock, TimerHandle } from './clock.js';
import type { ClusterSettings } from './cluster-config.js';
import { type HostSpec, hostKey } from './host.js';
import type { UpstreamEventListener } from './upstream-events.js';

/** Resolves a name to addresses for Envoy's `dns_lookup_family`. */
export type DnsResolve = (hostname: string, family: ClusterSettings['dnsLookupFamily']) => Promise<string[]>;

/** Resolution through the system resolver (`getaddrinfo`, so `/etc/hosts` applies). */
export const systemDnsResolve: DnsResolve = async (hostname, family) => {
  const family4or6 = family === 'V4_ONLY' ? 4 : family === 'V6_ONLY' ? 6 : 0;
  const results = await lookup(hostname, { all: true, family: family4or6 });
  const v4 = results.filter((r) => r.family === 4).map((r) => r.address);
  const v6 = results.filter((r) => r.family === 6).map((r) => r.address);
  switch (family) {
    case 'V4_PREFERRED':
      return v4.length > 0 ? v4 : v6;
    case 'AUTO':
      // Envoy's AUTO: IPv6 first, IPv4 when there is none.
      return v6.length > 0 ? v6 : v4;
    case 'ALL':
      return [...v4, ...v6];
    default:
      return results.map((r) => r.address);
  }
};

/** Keeps one DNS cluster's hosts resolved; hands each new host list to `onHosts`. */
export class DnsRefresher {
  /** Settles after the first resolution round (whatever its outcome). */
  readonly ready: Promise<void>;
  private readonly lastGood = new Map<string, string[]>();
  private timer: TimerHandle | undefined;
  private closed = false;

  constructor(
    private readonly settings: ClusterSettings,
    private readonly resolve: DnsResolve,
    private readonly clock: Clock,
    private readonly emit: UpstreamEventListener,
    private readonly onHosts: (hosts: HostSpec[]) => void,
  ) {
    this.ready = this.refresh();
  }

  /** Stops refreshing. */
  close(): void {
    this.closed = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async refresh(): Promise<void> {
    const targets = this.settings.loadAssignment?.hosts ?? [];
    const resolved = await Promise.all(targets.map((t) => this.resolveOne(t.address)));
    if (this.closed) return;
    const hosts: HostSpec[] = [];
    const logical = this.settings.type === 'LOGICAL_DNS';
    targets.forEach((target, i) => {
      const hostname = target.hostname ?? target.address;
      if (logical) {
        // One host named after the DNS name; only its address follows the answers.
        const key = hostKey(target.address, target.port);
        if (resolved[i].length > 0) hosts.push({ ...target, key, address: resolved[i][0], hostname });
        return;
      }
      for (const address of resolved[i]) hosts.push({ ...target, address, hostname });
    });
    this.onHosts(hosts);
    this.timer = this.clock.setTimeout(() => void this.refresh(), this.settings.dnsRefreshRateMs);
  }

  private async resolveOne(hostname: string): Promise<string[]> {
    try {
      const addresses = await this.resolve(hostname, this.settings.dnsLookupFamily);
      if (addresses.length === 0) throw new Error(`no addresses for ${hostname}`);
      const previous = this.lastGood.get(hostname);
      this.lastGood.set(hostname, addresses);
      // Reported on change only: a refresh every few seconds would otherwise flood the log.
      if (previous === undefined || previous.join() !== addresses.join()) {
        this.emit({ type: 'dns_resolved', cluster: this.settings.name, hostname, addresses });
      }
      return addresses;
    } catch (error) {
      this.emit({ type: 'dns_failed', cluster: this.settings.name, hostname, error: error as Error });
      return this.lastGood.get(hostname) ?? [];
    }
  }
}
