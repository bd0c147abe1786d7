/** Naming resources in xDS errors and comparing name sets, for the ADS source. */
import { ProxyConfigError } from '../errors.js';

/** Names a resource in an error by its name (what an operator greps for), else its position. */
export function resourcePath(kind: string, resource: unknown, index: number): string {
  const name = (resource as { name?: unknown; cluster_name?: unknown } | null) ?? {};
  const id = typeof name.name === 'string' ? name.name : name.cluster_name;
  return typeof id === 'string' && id !== '' ? `${kind} "${id}"` : `${kind}[${index}]`;
}

/** Whether two sorted name lists are equal. */
export function sameNames(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((n, i) => n === b[i]);
}

/** Throws when a name repeats (a dynamic resource may not shadow a static one). */
export function checkUnique(names: string[], what: string): void {
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n))
      throw new ProxyConfigError(`${what} "${n}"`, `duplicate ${what} name (static and dynamic)`);
    seen.add(n);
  }
}
