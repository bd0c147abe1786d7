/**
 * Registry of HTTP filter factories by Envoy name. The HCM compiles `http_filters` through it;
 * an unknown filter is a config error (unless marked `is_optional`, as in Envoy).
 */
import { ProxyConfigError } from '../errors.js';
import type { HttpFilter, HttpFilterFactory } from './filter.js';

const factories = new Map<string, HttpFilterFactory>();
const byTypeUrl = new Map<string, HttpFilterFactory>();

/** Registers a filter factory; later issues add JWT, RBAC, rate limit, CORS, … this way. */
export function registerHttpFilter(factory: HttpFilterFactory): void {
  factories.set(factory.name, factory);
  for (const url of factory.typeUrls) byTypeUrl.set(url, factory);
}

/** `@type` of Envoy's `FilterConfig` wrapper in `typed_per_filter_config`. */
const FILTER_CONFIG_TYPE = 'type.googleapis.com/envoy.config.route.v3.FilterConfig';

/**
 * The per-route entry of a filter that a `FilterConfig` with `disabled: true` turns off for the
 * route (or virtual host, or route configuration) that carries it. Filters look for it first.
 */
export const FILTER_DISABLED: unique symbol = Symbol('filter disabled here');

/**
 * Compiles a route's `typed_per_filter_config` map (filter name → config with `@type`) into
 * filter name → compiled per-route config. An entry may be wrapped in Envoy's `FilterConfig`
 * (`config`, `is_optional`, `disabled`): `disabled` maps to {@link FILTER_DISABLED}, and an
 * optional entry for a filter this proxy does not know is ignored. Otherwise a filter that is
 * unknown or takes no per-route config is a config error naming it.
 */
export function compilePerFilterConfig(v: unknown, path: string): ReadonlyMap<string, unknown> {
  const out = new Map<string, unknown>();
  if (v === undefined || v === null) return out;
  if (typeof v !== 'object' || Array.isArray(v))
    throw new ProxyConfigError(path, 'expected a map of filter name to config');
  for (const [name, entry] of Object.entries(v as Record<string, unknown>)) {
    let p = `${path}.${name}`;
    let raw = (entry ?? {}) as Record<string, unknown>;
    let optional = false;
    if (raw['@type'] === FILTER_CONFIG_TYPE) {
      const wrapper = filterConfig(raw, p);
      if (wrapper.disabled) {
        out.set(name, FILTER_DISABLED);
        continue;
      }
      optional = wrapper.optional;
      p = `${p}.config`;
      raw = wrapper.config;
    }
    const factory = factories.get(name);
    if (factory?.createPerRoute === undefined) {
      if (optional) continue;
      throw new ProxyConfigError(
        p,
        factory === undefined ? `unknown HTTP filter "${name}"` : `${name} has no per-route configuration`,
      );
    }
    const { '@type': _t, ...config } = raw;
    out.set(name, factory.createPerRoute(config, p));
  }
  return out;
}

function filterConfig(
  raw: Record<string, unknown>,
  path: string,
): { config: Record<string, unknown>; optional: boolean; disabled: boolean } {
  for (const k of Object.keys(raw)) {
    if (k !== '@type' && k !== 'config' && k !== 'is_optional' && k !== 'disabled')
      throw new ProxyConfigError(`${path}.${k}`, 'unsupported field');
  }
  for (const k of ['is_optional', 'disabled'] as const) {
    if (raw[k] !== undefined && typeof raw[k] !== 'boolean')
      throw new ProxyConfigError(`${path}.${k}`, 'expected a boolean');
  }
  const disabled = raw.disabled === true;
  const config = raw.config;
  if (
    !disabled &&
    (config === undefined || config === null || typeof config !== 'object' || Array.isArray(config))
  )
    throw new ProxyConfigError(`${path}.config`, 'required field is missing (or set disabled: true)');
  return { config: (config ?? {}) as Record<string, unknown>, optional: raw.is_optional === true, disabled };
}

/** Names of the registered filters. */
export function registeredHttpFilters(): string[] {
  return [...factories.keys()].sort();
}

/**
 * Compiles one `http_filters[]` entry. The factory is chosen by `typed_config['@type']`
 * (as Envoy does) or, without a typed config, by name.
 */
export function createHttpFilter(entry: Record<string, unknown>, path: string): HttpFilter | null {
  const name = entry.name;
  if (typeof name !== 'string' || name === '')
    throw new ProxyConfigError(`${path}.name`, 'required field is missing');
  for (const k of Object.keys(entry)) {
    if (k !== 'name' && k !== 'typed_config' && k !== 'is_optional') {
      throw new ProxyConfigError(`${path}.${k}`, 'unsupported field');
    }
  }
  const typed = (entry.typed_config ?? {}) as Record<string, unknown>;
  const type = typeof typed['@type'] === 'string' ? (typed['@type'] as string) : undefined;
  const factory = (type !== undefined ? byTypeUrl.get(type) : undefined) ?? factories.get(name);
  if (factory === undefined) {
    if (entry.is_optional === true) return null;
    throw new ProxyConfigError(
      path,
      `unknown HTTP filter "${name}"${type ? ` (${type})` : ''}; known: ${registeredHttpFilters().join(', ')}`,
    );
  }
  const { '@type': _t, ...config } = typed;
  return factory.create(config, `${path}.typed_config`);
}
