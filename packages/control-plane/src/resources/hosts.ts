/**
 * Host names as Istio reads them: a short name (`reviews`) means the service in the namespace of
 * the rule that names it (`reviews.<ns>.svc.cluster.local`); anything with a dot is taken as
 * written, except the Kubernetes `name.ns.svc` form, which gains the cluster domain.
 */

/** The cluster DNS domain used for fully qualified service names. */
export const CLUSTER_DOMAIN = 'cluster.local';

/**
 * Fully qualifies `host` as seen from a resource in `namespace`.
 *
 * @example
 * toFqdn('reviews', 'shop') // 'reviews.shop.svc.cluster.local'
 * toFqdn('api.example.com', 'shop') // 'api.example.com'
 */
export function toFqdn(host: string, namespace: string): string {
  if (host.includes('*')) return host;
  if (!host.includes('.')) return `${host}.${namespace}.svc.${CLUSTER_DOMAIN}`;
  if (host.endsWith('.svc')) return `${host}.${CLUSTER_DOMAIN}`;
  return host;
}

/** FQDN of a Kubernetes Service. */
export function serviceFqdn(name: string, namespace: string): string {
  return `${name}.${namespace}.svc.${CLUSTER_DOMAIN}`;
}

/** True when the host pattern (possibly `*.example.com` or `*`) covers `host`. */
export function hostMatches(pattern: string, host: string): boolean {
  if (pattern === '*') return true;
  if (pattern.startsWith('*.')) return host.endsWith(pattern.slice(1));
  return pattern === host;
}
