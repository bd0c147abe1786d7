/**
 * Picks how to reach a service from the environment `meshwork up` (or a platform) provides:
 * 1. `MESHWORK_SIDECAR_OUTBOUND_PORT` — through the local sidecar;
 * 2. `MESHWORK_ENDPOINTS_<SERVICE>` (`host:port,host:port`) — a fixed list, proxyless;
 * 3. `MESHWORK_CONTROL_PLANE` — proxyless with client-side discovery from the registry.
 */
import type { Logger } from 'pino';
import { InvalidConfigError } from '../errors.js';
import { defaultClientPolicy } from './default-policy.js';
import { DiscoveryWatcher, type EndpointSource, parseEndpoint, StaticEndpoints } from './endpoints.js';
import { type Policy, type Route, ServiceClient } from './service-client.js';

/** Options of {@link connect}. */
export interface ConnectOptions {
  /** Environment to read; default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /**
   * Policy wrapping proxyless calls; default {@link defaultClientPolicy} (retry + circuit
   * breaker + time limit), `null` for none. Ignored through a sidecar, which applies the mesh's own.
   */
  policy?: Policy | null;
  timeoutMs?: number;
  log?: Logger;
}

/** Name of the env var holding a fixed endpoint list for `service` (`MESHWORK_ENDPOINTS_ORDERS`). */
export function endpointsEnvName(service: string): string {
  return `MESHWORK_ENDPOINTS_${service.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

/** Resolves how to reach `service`; throws {@link InvalidConfigError} naming the variables when nothing is set. */
export function resolveRoute(service: string, options: ConnectOptions = {}): Route {
  const env = options.env ?? process.env;
  const outbound = env.MESHWORK_SIDECAR_OUTBOUND_PORT;
  if (outbound) {
    const port = Number(outbound);
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new InvalidConfigError(`MESHWORK_SIDECAR_OUTBOUND_PORT: "${outbound}" is not a port`);
    }
    return { kind: 'sidecar', outboundPort: port };
  }
  const name = endpointsEnvName(service);
  const fixed = env[name];
  let source: EndpointSource | undefined;
  if (fixed) {
    source = new StaticEndpoints(fixed.split(',').map((e, i) => parseEndpoint(e, `${name}[${i}]`)));
  } else if (env.MESHWORK_CONTROL_PLANE) {
    source = new DiscoveryWatcher({
      controlPlane: env.MESHWORK_CONTROL_PLANE,
      service,
      namespace: env.MESHWORK_NAMESPACE,
      log: options.log,
    });
  }
  if (!source) {
    throw new InvalidConfigError(
      `no way to reach "${service}": set MESHWORK_SIDECAR_OUTBOUND_PORT, ${name} or MESHWORK_CONTROL_PLANE`,
    );
  }
  return { kind: 'endpoints', source };
}

/**
 * A client for `service`, routed as the environment says.
 *
 * @example
 * const inventory = connect('inventory', { policy: wrap(retry, breaker, timeLimiter) });
 * const stock = await inventory.get(`/api/inventory/${productId}`);
 */
export function connect(service: string, options: ConnectOptions = {}): ServiceClient {
  const route = resolveRoute(service, options);
  return new ServiceClient({
    service,
    route,
    policy: route.kind === 'endpoints' ? policyFor(service, options.policy) : undefined,
    timeoutMs: options.timeoutMs,
  });
}

function policyFor(service: string, policy: Policy | null | undefined): Policy | undefined {
  if (policy === null) return undefined;
  return policy ?? defaultClientPolicy(service);
}
