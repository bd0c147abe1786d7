/**
 * Envoy `filter_chain_match.server_names` selection: an exact SNI match wins, then the longest
 * matching wildcard (`*.example.com` matches `a.example.com` and `a.b.example.com`), then the
 * chain that names no server (the default). Built once per listener config; lookups allocate
 * nothing but the lower-cased name.
 */
import { ProxyConfigError } from '../errors.js';

/** Server names to values: exact names, wildcard suffixes, and the value for any other name. */
export interface ServerNames<T> {
  readonly exact: ReadonlyMap<string, T>;
  /** Keyed by the suffix after `*` (`.example.com`). */
  readonly wildcard: ReadonlyMap<string, T>;
  /** The length of the longest key of `wildcard`. */
  readonly longestSuffix: number;
  readonly fallback: T | undefined;
}

/**
 * The value for `serverName`: its exact entry, else the longest wildcard suffix that matches
 * (walking label boundaries from the longest candidate down), else the fallback.
 */
export function matchServerName<T>(names: ServerNames<T>, serverName: string): T | undefined {
  const name = serverName.toLowerCase();
  const hit = names.exact.get(name);
  if (hit !== undefined) return hit;
  if (names.wildcard.size > 0) {
    let dot = name.indexOf('.');
    while (dot >= 0) {
      if (name.length - dot <= names.longestSuffix) {
        const w = names.wildcard.get(name.slice(dot));
        if (w !== undefined) return w;
      }
      dot = name.indexOf('.', dot + 1);
    }
  }
  return names.fallback;
}

/** Maps SNI server names to a value (a filter chain). */
export class ServerNameIndex<T> implements ServerNames<T> {
  readonly exact = new Map<string, T>();
  /** Keyed by the suffix after `*` (`.example.com`). */
  readonly wildcard = new Map<string, T>();
  fallback: T | undefined;
  longestSuffix = 0;

  /** Adds `value` for `serverNames` (empty → the default); duplicates are config errors at `path`. */
  add(serverNames: readonly string[], value: T, path: string): void {
    if (serverNames.length === 0) {
      if (this.fallback !== undefined)
        throw new ProxyConfigError(path, 'more than one filter chain without server_names');
      this.fallback = value;
      return;
    }
    for (let i = 0; i < serverNames.length; i++) {
      const name = serverNames[i]?.toLowerCase() ?? '';
      const p = `${path}.server_names[${i}]`;
      if (name.startsWith('*.')) this.put(this.wildcard, name.slice(1), value, p);
      else if (name.length > 0 && !name.includes('*')) this.put(this.exact, name, value, p);
      else throw new ProxyConfigError(p, `invalid server name "${serverNames[i]}" (exact or *.suffix)`);
    }
  }

  private put(map: Map<string, T>, key: string, value: T, path: string): void {
    if (map.has(key))
      throw new ProxyConfigError(path, `server name "${key}" is used by more than one filter chain`);
    map.set(key, value);
    if (map === this.wildcard && key.length > this.longestSuffix) this.longestSuffix = key.length;
  }

  /** The value for `sni` (undefined or '' → the default), or undefined when nothing matches. */
  select(sni: string | undefined | false | null): T | undefined {
    return sni ? matchServerName(this, sni) : this.fallback;
  }

  /** Whether any chain names a server (SNI matters for this listener). */
  get usesServerNames(): boolean {
    return this.exact.size > 0 || this.wildcard.size > 0;
  }
}
