/** The registry's contribution to resource analysis (cross-reference checks of applies). */
import { serviceFqdn } from '../resources/hosts.js';
import type { AnalysisHooks } from '../validation/world.js';
import type { Registry } from './registry.js';

/**
 * Hooks for the resource analysis: routes may name registered services, and subsets whose labels
 * only live instances carry.
 */
export function registryAnalysisHooks(registry: Registry): AnalysisHooks {
  return {
    serviceKnown: (host) => {
      for (const s of registry.registeredServices())
        if (serviceFqdn(s.name, s.namespace) === host) return true;
      return undefined;
    },
    labelsKnown: (host, labels) => {
      for (const r of registry.list()) {
        if (serviceFqdn(r.service, r.namespace) !== host) continue;
        if (Object.entries(labels).every(([k, v]) => r.labels[k] === v)) return true;
      }
      return undefined;
    },
  };
}
