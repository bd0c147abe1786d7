/**
 * A proxy's configuration as the translator produces it: four maps of Envoy resources by name, one
 * per xDS type. Unchanged resources keep their object identity across translations, so the ADS
 * layer can tell what changed without comparing deep structures.
 */
import type { EnvoyJson } from './envoy.js';

/** The xDS resource kinds the translator produces. */
export type ResourceKind = 'listeners' | 'routes' | 'clusters' | 'endpoints';

/** Every resource kind, in the order xDS wants them pushed (clusters before endpoints before listeners before routes). */
export const RESOURCE_KINDS: readonly ResourceKind[] = ['clusters', 'endpoints', 'listeners', 'routes'];

/** One proxy's resources by kind and name. */
export type ProxySnapshot = Record<ResourceKind, Map<string, EnvoyJson>>;

/** An empty snapshot. */
export function emptySnapshot(): ProxySnapshot {
  return { listeners: new Map(), routes: new Map(), clusters: new Map(), endpoints: new Map() };
}
