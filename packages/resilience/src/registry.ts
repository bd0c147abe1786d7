import { Bulkhead, type BulkheadConfig } from './bulkhead.js';
import { CircuitBreaker } from './circuit-breaker.js';
import type { CircuitBreakerConfig } from './circuit-breaker-config.js';
import type { Clock } from './clock.js';
import { ConsecutiveBreaker, type ConsecutiveBreakerConfig } from './consecutive-breaker.js';
import type { Policy } from './context.js';
import { ConfigError } from './errors.js';
import { Hedging, type HedgingConfig } from './hedging.js';
import { RateLimiter, type RateLimiterConfig } from './rate-limiter.js';
import { Retry, type RetryConfig } from './retry.js';
import { TimeLimiter, type TimeLimiterConfig } from './time-limiter.js';
import { TokenBucket, type TokenBucketConfig } from './token-bucket.js';
import { at, checkEnum, checkKnownKeys } from './validate.js';
import { wrap } from './wrap.js';

/** Breaker config in a registry: Resilience4j's sliding window (default) or consecutive failures. */
export type RegistryCircuitBreakerConfig =
  | (CircuitBreakerConfig & { type?: 'SLIDING_WINDOW' })
  | (ConsecutiveBreakerConfig & { type: 'CONSECUTIVE' });

/** Rate limiter config in a registry: Resilience4j's cycles (default) or a token bucket. */
export type RegistryRateLimiterConfig =
  | (RateLimiterConfig & { type?: 'FIXED_WINDOW' })
  | (TokenBucketConfig & { type: 'TOKEN_BUCKET' });

/**
 * One policy kind's section, shaped like Resilience4j's Spring properties: shared `configs`
 * (the one named `default` applies to every instance) and named `instances`, each of which may
 * start from a shared config via `baseConfig`.
 */
export interface PolicyGroupConfig<C> {
  configs?: Record<string, C>;
  instances?: Record<string, C & { baseConfig?: string }>;
}

/** A whole registry config, as plain data (so YAML can supply it). */
export interface ResilienceConfig {
  circuitBreaker?: PolicyGroupConfig<RegistryCircuitBreakerConfig>;
  retry?: PolicyGroupConfig<RetryConfig>;
  bulkhead?: PolicyGroupConfig<BulkheadConfig>;
  timeLimiter?: PolicyGroupConfig<TimeLimiterConfig>;
  rateLimiter?: PolicyGroupConfig<RegistryRateLimiterConfig>;
  hedging?: PolicyGroupConfig<HedgingConfig>;
}

/** The policy kinds a registry builds. */
export type PolicyKind = keyof ResilienceConfig;
type Kind = PolicyKind;
const DEFAULT_TYPES: Partial<Record<Kind, string>> = {
  circuitBreaker: 'SLIDING_WINDOW',
  rateLimiter: 'FIXED_WINDOW',
};
const KINDS: readonly Kind[] = [
  'circuitBreaker',
  'retry',
  'bulkhead',
  'timeLimiter',
  'rateLimiter',
  'hedging',
];

/**
 * Named policies built from plain config. Every configured instance is built (and validated) up
 * front, so a bad config fails at load with the offending path; names not configured get the
 * `default` config (or the built-in defaults) on first use. Instances are cached by name, so
 * every caller of `circuitBreaker('inventory')` shares one breaker.
 *
 * @example
 * const registry = new PolicyRegistry({
 *   circuitBreaker: { configs: { default: { slidingWindowSize: 10 } }, instances: { inventory: { failureRateThreshold: 50 } } },
 *   retry: { instances: { inventory: { maxAttempts: 3, waitDurationMs: 500 } } },
 * });
 * const policy = registry.pipeline('inventory'); // rate limiter → retry → breaker → bulkhead → time limiter
 */
export class PolicyRegistry {
  #config: ResilienceConfig;
  readonly #clock: Clock | undefined;
  #built = new Map<string, unknown>();

  constructor(config: ResilienceConfig = {}, options?: { clock?: Clock }) {
    checkKnownKeys('', config, KINDS);
    this.#config = config;
    this.#clock = options?.clock;
    for (const kind of KINDS) {
      const group = config[kind];
      if (group === undefined) continue;
      checkKnownKeys(kind, group, ['configs', 'instances']);
      // Validate shared configs even when no instance uses them yet.
      for (const [configName, shared] of Object.entries(group.configs ?? {})) {
        this.#create(kind, configName, { ...(shared as object) }, `${kind}.configs.${configName}`);
      }
      for (const name of Object.keys(group.instances ?? {})) this.#get(kind, name);
    }
  }

  /** The breaker named `name` (a sliding-window or a consecutive-failures breaker, per its `type`). */
  circuitBreaker(name: string): CircuitBreaker | ConsecutiveBreaker {
    return this.#get('circuitBreaker', name) as CircuitBreaker | ConsecutiveBreaker;
  }
  /** The retry named `name`. */
  retry(name: string): Retry {
    return this.#get('retry', name) as Retry;
  }
  /** The bulkhead named `name`. */
  bulkhead(name: string): Bulkhead {
    return this.#get('bulkhead', name) as Bulkhead;
  }
  /** The time limiter named `name`. */
  timeLimiter(name: string): TimeLimiter {
    return this.#get('timeLimiter', name) as TimeLimiter;
  }
  /** The rate limiter named `name` (Resilience4j cycles or a token bucket, per its `type`). */
  rateLimiter(name: string): RateLimiter | TokenBucket {
    return this.#get('rateLimiter', name) as RateLimiter | TokenBucket;
  }
  /** The hedging policy named `name`. */
  hedging(name: string): Hedging {
    return this.#get('hedging', name) as Hedging;
  }

  /**
   * Replaces the configuration, as a control plane push or a YAML reload would. The new config is
   * validated in full first: if it is bad this throws and the old one stays in force. Policies
   * whose resolved config is unchanged are kept, so a breaker keeps its state and window; the
   * others are rebuilt.
   */
  update(config: ResilienceConfig): void {
    const next = new PolicyRegistry(config, { clock: this.#clock });
    const built = new Map<string, unknown>();
    const keys = new Set([...this.#built.keys(), ...next.#built.keys()]);
    for (const key of keys) {
      const [kind, name] = key.split('\u0000') as [Kind, string];
      const previous = this.#built.get(key);
      const unchanged =
        previous !== undefined && sameConfig(this.#resolve(kind, name, ''), next.#resolve(kind, name, ''));
      if (unchanged) built.set(key, previous);
      else if (next.#built.has(key)) built.set(key, next.#built.get(key));
    }
    this.#config = config;
    this.#built = built;
  }

  /** Every policy built so far, for admin endpoints and metrics exporters. */
  *entries(): IterableIterator<{ kind: Kind; name: string; policy: unknown }> {
    for (const [key, policy] of this.#built) {
      const [kind, name] = key.split('\u0000') as [Kind, string];
      yield { kind, name, policy };
    }
  }

  /** True when `name` is configured as an instance of `kind`. */
  has(kind: Kind, name: string): boolean {
    return Object.hasOwn(this.#config[kind]?.instances ?? {}, name);
  }

  /**
   * The configured policies of `name`, wrapped in the recommended order: rate limiter → retry →
   * circuit breaker → bulkhead → time limiter (per attempt). Kinds without an instance named
   * `name` are left out; with none at all this throws.
   */
  pipeline(name: string): Policy {
    const order: Kind[] = ['rateLimiter', 'retry', 'circuitBreaker', 'bulkhead', 'timeLimiter'];
    const policies = order
      .filter((kind) => this.has(kind, name))
      .map((kind) => this.#get(kind, name) as Policy);
    if (policies.length === 0)
      throw new ConfigError(name, 'no policy is configured under this instance name');
    return wrap(...policies);
  }

  #get(kind: Kind, name: string): unknown {
    const key = `${kind}\u0000${name}`;
    let policy = this.#built.get(key);
    if (policy === undefined) {
      policy = this.#build(kind, name);
      this.#built.set(key, policy);
    }
    return policy;
  }

  #build(kind: Kind, name: string): unknown {
    const path = `${kind}.instances.${name}`;
    return this.#create(kind, name, this.#resolve(kind, name, path), path);
  }

  #create(kind: Kind, name: string, resolved: object, path: string): unknown {
    const config = resolved as Record<string, unknown>;
    const options = { clock: this.#clock, configPath: path };
    switch (kind) {
      case 'circuitBreaker': {
        const type = checkEnum(at(path, 'type'), config.type ?? DEFAULT_TYPES.circuitBreaker, [
          'SLIDING_WINDOW',
          'CONSECUTIVE',
        ]);
        delete config.type;
        return type === 'CONSECUTIVE'
          ? new ConsecutiveBreaker(name, config, options)
          : new CircuitBreaker(name, config, options);
      }
      case 'rateLimiter': {
        const type = checkEnum(at(path, 'type'), config.type ?? DEFAULT_TYPES.rateLimiter, [
          'FIXED_WINDOW',
          'TOKEN_BUCKET',
        ]);
        delete config.type;
        return type === 'TOKEN_BUCKET'
          ? new TokenBucket(name, config, options)
          : new RateLimiter(name, config, options);
      }
      case 'retry':
        return new Retry(name, config, options);
      case 'bulkhead':
        return new Bulkhead(name, config, options);
      case 'timeLimiter':
        return new TimeLimiter(name, config, options);
      case 'hedging':
        return new Hedging(name, config, options);
    }
  }

  /** default config ← baseConfig ← instance settings (later wins). */
  #resolve(kind: Kind, name: string, path: string): object {
    const group = this.#config[kind] ?? {};
    const configs = (group.configs ?? {}) as Record<string, object>;
    const instance = { ...((group.instances ?? {}) as Record<string, Record<string, unknown>>)[name] };
    const baseName = instance.baseConfig;
    delete instance.baseConfig;
    let base: object = configs.default ?? {};
    if (baseName !== undefined) {
      if (typeof baseName !== 'string' || !Object.hasOwn(configs, baseName)) {
        throw new ConfigError(
          at(path, 'baseConfig'),
          `names no entry of ${kind}.configs, got ${JSON.stringify(baseName)}`,
        );
      }
      base = configs[baseName];
    } else if (instance.type !== undefined && (base as { type?: unknown }).type !== instance.type) {
      // The shared default describes another kind of breaker/limiter: its knobs do not apply.
      const defaultType = (base as { type?: unknown }).type ?? DEFAULT_TYPES[kind];
      if (defaultType !== instance.type) base = {};
    }
    return { ...base, ...instance };
  }
}

/** Structural equality of plain config values; functions and class instances compare by identity. */
function sameConfig(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  const proto = Object.getPrototypeOf(a);
  if (proto !== Object.prototype && proto !== Array.prototype) return false;
  const keysA = Object.keys(a);
  if (keysA.length !== Object.keys(b).length) return false;
  return keysA.every((key) =>
    sameConfig((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]),
  );
}
