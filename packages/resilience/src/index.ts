/**
 * @meshwork/resilience — circuit breakers, retry, bulkhead, time limiter, rate limiters,
 * hedging, fallback and `wrap()` composition. Pure TypeScript, no I/O; time comes only from an
 * injectable {@link Clock}.
 */
export { BULKHEAD_DEFAULTS, Bulkhead, type BulkheadConfig, type BulkheadEvent } from './bulkhead.js';
export { CircuitBreaker } from './circuit-breaker.js';
export {
  CIRCUIT_BREAKER_DEFAULTS,
  type CircuitBreakerConfig,
  type CompiledCircuitBreakerConfig,
  compileCircuitBreakerConfig,
  isLocalRejection,
  type SlidingWindowType,
} from './circuit-breaker-config.js';
export type {
  CircuitBreakerEvent,
  CircuitBreakerLike,
  CircuitBreakerMetrics,
  CircuitBreakerState,
} from './circuit-breaker-types.js';
export {
  type Clock,
  flushMicrotasks,
  ManualClock,
  systemClock,
  type TimerHandle,
  unrefTimer,
} from './clock.js';
export {
  CONSECUTIVE_BREAKER_DEFAULTS,
  ConsecutiveBreaker,
  type ConsecutiveBreakerConfig,
} from './consecutive-breaker.js';
export {
  contextOf,
  ExecutionContext,
  type Policy,
  type PolicyOptions,
  ROOT_CONTEXT,
  type Task,
} from './context.js';
export type { ErrorMatcher, ErrorPredicate } from './error-filter.js';
export {
  AbortedError,
  BulkheadFullError,
  CallNotPermittedError,
  ConfigError,
  MaxRetriesExceededError,
  MeshError,
  RequestNotPermittedError,
  type ResilienceErrorCode,
  ResultRecordedAsFailureError,
  TimeoutError,
} from './errors.js';
export { EventPublisher, type Listener } from './events.js';
export { Fallback, type FallbackConfig } from './fallback.js';
export { HEDGING_DEFAULTS, Hedging, type HedgingConfig } from './hedging.js';
export { IntervalFunction, type RandomSource } from './interval-function.js';
export {
  RATE_LIMITER_DEFAULTS,
  RateLimiter,
  type RateLimiterConfig,
  type RateLimiterEvent,
  type RateLimiterLike,
} from './rate-limiter.js';
export {
  type PolicyGroupConfig,
  type PolicyKind,
  PolicyRegistry,
  type RegistryCircuitBreakerConfig,
  type RegistryRateLimiterConfig,
  type ResilienceConfig,
} from './registry.js';
export { RETRY_DEFAULTS, Retry, type RetryConfig, type RetryEvent, type RetryMetrics } from './retry.js';
export { RETRY_BUDGET_DEFAULTS, RetryBudget, type RetryBudgetConfig } from './retry-budget.js';
export {
  TIME_LIMITER_DEFAULTS,
  TimeLimiter,
  type TimeLimiterConfig,
  type TimeLimiterEvent,
} from './time-limiter.js';
export { TimerBucket, type TimerEntry, TimerWheel, timerWheelFor } from './timer-wheel.js';
export { TOKEN_BUCKET_DEFAULTS, TokenBucket, type TokenBucketConfig } from './token-bucket.js';
export { PolicyWrap, wrap } from './wrap.js';
