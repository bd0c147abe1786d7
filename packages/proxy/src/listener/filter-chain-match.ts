/**
 * Envoy's filter chain selection over `filter_chain_match`: `destination_port` first (an exact
 * port beats chains without one), then `server_names` (exact, then the longest `*.suffix`
 * wildcard, then chains naming no server), then `transport_protocol` (an exact value beats an
 * unset one). Like Envoy it never backtracks: once a level picked its best candidates, a miss
 * below means no chain. Built once per listener config; a lookup is a few map reads.
 */
import { ProxyConfigError } from '../errors.js';
import { matchServerName } from '../tls/server-name-index.js';

/** The criteria of one chain. */
export interface ChainMatchCriteria {
  readonly destinationPort: number | undefined;
  readonly serverNames: readonly string[];
  readonly transportProtocol: 'tls' | 'raw_buffer' | undefined;
}

/** Chain indexes by transport protocol (`any`: the chain left it unset). */
interface ProtocolSlots {
  tls?: number;
  raw_buffer?: number;
  any?: number;
}

/** The server-name level of one destination port. */
interface NameLevel {
  readonly exact: Map<string, ProtocolSlots>;
  /** Keyed by the suffix after `*` (`.example.com`). */
  readonly wildcard: Map<string, ProtocolSlots>;
  longestSuffix: number;
  fallback: ProtocolSlots | undefined;
}

/** Selects a listener's filter chain for a connection. */
export class FilterChainSelector {
  private readonly byPort = new Map<number, NameLevel>();
  private readonly anyPort: NameLevel = newLevel();

  /** Indexes `chains`; two chains with the same criteria are a config error at `path[i]`. */
  constructor(chains: readonly ChainMatchCriteria[], path: string) {
    chains.forEach((c, i) => {
      const p = `${path}[${i}].filter_chain_match`;
      let level = this.anyPort;
      if (c.destinationPort !== undefined) {
        level = this.byPort.get(c.destinationPort) ?? newLevel();
        this.byPort.set(c.destinationPort, level);
      }
      const tp = c.transportProtocol ?? 'any';
      if (c.serverNames.length === 0) {
        level.fallback ??= {};
        put(level.fallback, tp, i, p);
      }
      c.serverNames.forEach((raw, j) => {
        const name = raw.toLowerCase();
        const np = `${p}.server_names[${j}]`;
        if (name.startsWith('*.') && !name.slice(1).includes('*')) {
          put(slotsOf(level.wildcard, name.slice(1)), tp, i, np);
          level.longestSuffix = Math.max(level.longestSuffix, name.length - 1);
        } else if (name.length > 0 && !name.includes('*')) put(slotsOf(level.exact, name), tp, i, np);
        else throw new ProxyConfigError(np, `invalid server name "${raw}" (exact or *.suffix)`);
      });
    });
  }

  /** The chain index for a connection, or -1 when no chain matches (Envoy closes it). */
  select(localPort: number, serverName: string, transportProtocol: 'tls' | 'raw_buffer'): number {
    const level = this.byPort.get(localPort) ?? this.anyPort;
    const slots = serverName === '' ? level.fallback : matchServerName(level, serverName);
    if (slots === undefined) return -1;
    return slots[transportProtocol] ?? slots.any ?? -1;
  }
}

function newLevel(): NameLevel {
  return { exact: new Map(), wildcard: new Map(), longestSuffix: 0, fallback: undefined };
}

function slotsOf(map: Map<string, ProtocolSlots>, key: string): ProtocolSlots {
  let s = map.get(key);
  if (s === undefined) {
    s = {};
    map.set(key, s);
  }
  return s;
}

function put(slots: ProtocolSlots, tp: keyof ProtocolSlots, chain: number, path: string): void {
  if (slots[tp] !== undefined) {
    throw new ProxyConfigError(
      path,
      `filter chain ${slots[tp]} already has the same matching rules (multiple filter chains with the same matching rules are defined)`,
    );
  }
  slots[tp] = chain;
}
