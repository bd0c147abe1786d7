/** Events the upstream layer reports for logs and stats (`ClusterManager` `onEvent`). */
import type { EjectionType } from './outlier-detector.js';
import type { Host } from './types.js';

/** An event about one host of a cluster; `host` is its key, `endpoint` the host itself. */
export type UpstreamHostEvent =
  | {
      type: 'ejected';
      cluster: string;
      host: string;
      endpoint: Host;
      reason: EjectionType;
      durationMs: number;
    }
  | { type: 'unejected'; cluster: string; host: string; endpoint: Host }
  | { type: 'health_changed'; cluster: string; host: string; endpoint: Host; healthy: boolean }
  | { type: 'host_added'; cluster: string; host: string; endpoint: Host }
  /** The engine drains the host's pool: in-flight requests finish, no new ones start. */
  | { type: 'host_removed'; cluster: string; host: string; endpoint: Host };

/** An event about a whole cluster. */
export type UpstreamClusterEvent =
  | { type: 'cluster_added' | 'cluster_updated' | 'cluster_removed'; cluster: string }
  | { type: 'panic_changed'; cluster: string; panic: boolean }
  /** A DNS name resolved to a new set of addresses (not repeated while the answer stays the same). */
  | { type: 'dns_resolved'; cluster: string; hostname: string; addresses: readonly string[] }
  | { type: 'dns_failed'; cluster: string; hostname: string; error: Error };

/** Everything `onEvent` may receive. */
export type UpstreamEvent = UpstreamHostEvent | UpstreamClusterEvent;

/** Receives upstream events; must not throw. */
export type UpstreamEventListener = (event: UpstreamEvent) => void;
