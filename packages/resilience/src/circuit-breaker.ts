import {
  type CircuitBreakerConfig,
  type CompiledCircuitBreakerConfig,
  compileCircuitBreakerConfig,
} from './circuit-breaker-config.js';
import type {
  CircuitBreakerEvent,
  CircuitBreakerLike,
  CircuitBreakerMetrics,
  CircuitBreakerState,
} from './circuit-breaker-types.js';
import { type Clock, systemClock, type TimerHandle, unrefTimer } from './clock.js';
import { contextOf, type ExecutionContext, type Policy, type PolicyOptions, type Task } from './context.js';
import { CallNotPermittedError, ResultRecordedAsFailureError } from './errors.js';
import { EventPublisher } from './events.js';
import {
  CountBasedWindow,
  evaluateWindow,
  FAILURE_EXCEEDED,
  Outcome,
  SLOW_EXCEEDED,
  type SlidingWindow,
  snapshotMetrics,
  TimeBasedWindow,
} from './sliding-window.js';
import { checkTask } from './validate.js';

/**
 * Resilience4j's circuit breaker state machine over a COUNT_BASED or TIME_BASED sliding window.
 *
 * @example
 * const breaker = new CircuitBreaker('inventory', { failureRateThreshold: 50, slidingWindowSize: 10 });
 * const stock = await breaker.execute(() => inventory.check(42));
 * // Promise-free fast path, as the proxy uses it:
 * if (breaker.tryAcquirePermission()) { const t0 = clock.now(); ...; breaker.onSuccess(clock.now() - t0); }
 */
export class CircuitBreaker implements CircuitBreakerLike, Policy {
  readonly name: string;
  readonly config: CompiledCircuitBreakerConfig;
  readonly events = new EventPublisher<CircuitBreakerEvent>();
  readonly #clock: Clock;
  #state: CircuitBreakerState = 'CLOSED';
  #window: SlidingWindow;
  #minimumCalls: number;
  #notPermitted = 0;
  #openAttempts = 0;
  #openUntil = 0;
  #halfOpenPermits = 0;
  #halfOpenLastActivity = 0;
  #timer: TimerHandle | undefined = undefined;
  #exceededReported = 0;
  #timedWindow = false;
  readonly #timesCalls: boolean;

  constructor(name: string, config?: CircuitBreakerConfig, options?: PolicyOptions) {
    this.name = name;
    this.config = compileCircuitBreakerConfig(config, options?.configPath);
    this.#clock = options?.clock ?? systemClock;
    this.#timesCalls = this.config.slowCallDurationThresholdMs !== Number.POSITIVE_INFINITY;
    this.#window = this.#closedWindow();
    this.#minimumCalls = this.config.minimumNumberOfCalls;
  }

  /** Current state. */
  get state(): CircuitBreakerState {
    return this.#state;
  }

  /** Runs `fn` if permitted; records its duration and outcome. Rejects with `CallNotPermittedError`. */
  async execute<T>(fn: Task<T>, parent?: ExecutionContext | AbortSignal): Promise<T> {
    checkTask(fn);
    if (!this.tryAcquirePermission()) throw new CallNotPermittedError(this.name, this.#state);
    // Clock reads cost ~40 ns each; with slow-call detection off (threshold Infinity) there is
    // nothing to time, and a count-based window needs no timestamps.
    const clock = this.#clock;
    const timed = this.#timesCalls;
    const start = timed ? clock.now() : 0;
    let result: T;
    try {
      result = await fn(contextOf(parent));
    } catch (error) {
      const end = timed ? clock.now() : Number.NaN;
      this.#error(timed ? end - start : 0, error, end);
      throw error;
    }
    const end = timed ? clock.now() : Number.NaN;
    const durationMs = timed ? end - start : 0;
    const recordResult = this.config.recordResult;
    if (recordResult?.(result))
      this.#error(durationMs, new ResultRecordedAsFailureError(this.name, result), end);
    else this.#success(durationMs, end);
    return result;
  }

  tryAcquirePermission(): boolean {
    switch (this.#state) {
      case 'CLOSED':
      case 'DISABLED':
      case 'METRICS_ONLY':
        return true;
      case 'OPEN':
        if (
          !this.config.automaticTransitionFromOpenToHalfOpenEnabled &&
          this.#clock.now() >= this.#openUntil
        ) {
          this.#transition('HALF_OPEN', 0);
          return this.#tryHalfOpenPermit();
        }
        return this.#refuse();
      case 'HALF_OPEN':
        return this.#tryHalfOpenPermit();
      default:
        return this.#refuse();
    }
  }

  acquirePermission(): void {
    if (!this.tryAcquirePermission()) throw new CallNotPermittedError(this.name, this.#state);
  }

  releasePermission(): void {
    if (this.#state !== 'HALF_OPEN') return;
    if (this.#halfOpenPermits < this.config.permittedNumberOfCallsInHalfOpenState) this.#halfOpenPermits++;
    this.#halfOpenLastActivity = this.#clock.now();
  }

  onSuccess(durationMs: number): void {
    this.#success(durationMs, Number.NaN);
  }

  onError(durationMs: number, error: unknown): void {
    this.#error(durationMs, error, Number.NaN);
  }

  /** `nowMs` is the completion time when the caller already read the clock, else NaN. */
  #success(durationMs: number, nowMs: number): void {
    if (this.#state === 'DISABLED') return;
    if (this.events.hasListeners && this.events.wants('SUCCESS')) {
      this.events.emit({
        type: 'SUCCESS',
        name: this.name,
        createdAt: this.#clock.now(),
        elapsedMs: durationMs,
      });
    }
    const slow = durationMs > this.config.slowCallDurationThresholdMs;
    this.#record(slow ? Outcome.SlowSuccess : Outcome.Success, nowMs);
  }

  #error(durationMs: number, error: unknown, nowMs: number): void {
    if (this.#state === 'DISABLED') return;
    const config = this.config;
    if (config.isIgnored(error)) {
      this.releasePermission();
      if (this.events.wants('IGNORED_ERROR')) {
        const createdAt = this.#clock.now();
        this.events.emit({ type: 'IGNORED_ERROR', name: this.name, createdAt, elapsedMs: durationMs, error });
      }
      return;
    }
    // Resilience4j: an error that is neither recorded nor ignored counts as a success.
    if (!config.isRecorded(error)) {
      this.#success(durationMs, nowMs);
      return;
    }
    if (this.events.hasListeners && this.events.wants('ERROR')) {
      this.events.emit({
        type: 'ERROR',
        name: this.name,
        createdAt: this.#clock.now(),
        elapsedMs: durationMs,
        error,
      });
    }
    const slow = durationMs > config.slowCallDurationThresholdMs;
    this.#record(slow ? Outcome.SlowFailure : Outcome.Failure, nowMs);
  }

  onResult(durationMs: number, result: unknown): void {
    const recordResult = this.config.recordResult;
    if (recordResult?.(result)) {
      this.onError(durationMs, new ResultRecordedAsFailureError(this.name, result));
    } else {
      this.onSuccess(durationMs);
    }
  }

  /** The current window's rates and counts. */
  get metrics(): CircuitBreakerMetrics {
    this.#window.advance(this.#clock.now());
    return snapshotMetrics(this.#window, this.#minimumCalls, this.#notPermitted);
  }

  transitionToClosedState(): void {
    this.#transition('CLOSED', 0);
  }
  transitionToOpenState(): void {
    this.#transition('OPEN', -1);
  }
  /** Opens the breaker for exactly `waitMs`, regardless of the configured wait. */
  transitionToOpenStateFor(waitMs: number): void {
    this.#transition('OPEN', waitMs);
  }
  transitionToHalfOpenState(): void {
    this.#transition('HALF_OPEN', 0);
  }
  transitionToDisabledState(): void {
    this.#transition('DISABLED', 0);
  }
  transitionToForcedOpenState(): void {
    this.#transition('FORCED_OPEN', 0);
  }
  transitionToMetricsOnlyState(): void {
    this.#transition('METRICS_ONLY', 0);
  }

  /** Back to CLOSED with an empty window; publishes RESET (and a transition if the state changed). */
  reset(): void {
    this.#transition('CLOSED', 0);
    this.#openAttempts = 0;
    if (this.events.wants('RESET'))
      this.events.emit({ type: 'RESET', name: this.name, createdAt: this.#clock.now() });
  }

  #tryHalfOpenPermit(): boolean {
    if (this.#halfOpenPermits > 0) {
      this.#halfOpenPermits--;
      this.#halfOpenLastActivity = this.#clock.now();
      return true;
    }
    // Every permit is out. If none reported back for too long the probes are presumed lost:
    // reopen so the breaker cycles to fresh permits instead of wedging in HALF_OPEN.
    if (this.#clock.now() - this.#halfOpenLastActivity >= this.config.halfOpenPermitTimeoutMs) {
      this.#transition('OPEN', -1);
    }
    return this.#refuse();
  }

  #refuse(): false {
    this.#notPermitted++;
    if (this.events.wants('NOT_PERMITTED')) {
      this.events.emit({ type: 'NOT_PERMITTED', name: this.name, createdAt: this.#clock.now() });
    }
    return false;
  }

  #record(outcome: Outcome, nowMs: number): void {
    // Count-based windows in CLOSED need no time: skip the clock read on the hot path.
    let now = nowMs;
    if (Number.isNaN(now) && (this.#timedWindow || this.#state === 'HALF_OPEN')) now = this.#clock.now();
    this.#window.record(outcome, now);
    switch (this.#state) {
      case 'CLOSED': {
        const verdict = this.#evaluate();
        if (verdict > 0) {
          this.#publishExceeded(verdict);
          this.#transition('OPEN', -1);
        }
        return;
      }
      case 'HALF_OPEN': {
        this.#halfOpenLastActivity = now;
        const verdict = this.#evaluate();
        if (verdict > 0) this.#transition('OPEN', -1);
        else if (verdict === 0) this.#transition('CLOSED', 0);
        return;
      }
      case 'METRICS_ONLY': {
        // Each kind of threshold breach is published once per METRICS_ONLY period.
        const fresh = this.#evaluate() & ~this.#exceededReported;
        if (fresh > 0) {
          this.#exceededReported |= fresh;
          this.#publishExceeded(fresh);
        }
        return;
      }
      default:
        // OPEN/FORCED_OPEN: a call permitted before the transition still reports; record it only.
        return;
    }
  }

  #evaluate(): number {
    const { failureRateThreshold, slowCallRateThreshold } = this.config;
    return evaluateWindow(this.#window, this.#minimumCalls, failureRateThreshold, slowCallRateThreshold);
  }

  #publishExceeded(verdict: number): void {
    if (!this.events.hasListeners) return;
    const w = this.#window;
    const createdAt = this.#clock.now();
    if (verdict & FAILURE_EXCEEDED && this.events.wants('FAILURE_RATE_EXCEEDED')) {
      const failureRate = (w.failedCalls * 100) / w.totalCalls;
      this.events.emit({ type: 'FAILURE_RATE_EXCEEDED', name: this.name, createdAt, failureRate });
    }
    if (verdict & SLOW_EXCEEDED && this.events.wants('SLOW_CALL_RATE_EXCEEDED')) {
      const slowCallRate = (w.slowCalls * 100) / w.totalCalls;
      this.events.emit({ type: 'SLOW_CALL_RATE_EXCEEDED', name: this.name, createdAt, slowCallRate });
    }
  }

  /** `openWaitMs`: -1 = configured wait for the next attempt; ≥ 0 = exactly that long (OPEN only). */
  #transition(to: CircuitBreakerState, openWaitMs: number): void {
    const from = this.#state;
    const now = this.#clock.now();
    if (this.#timer !== undefined) {
      this.#clock.clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    this.#state = to;
    this.#exceededReported = 0;
    if (to === 'OPEN') this.#enterOpen(now, openWaitMs);
    else this.#freshWindow(to, now);
    if (to === 'CLOSED' || to === 'DISABLED' || to === 'METRICS_ONLY') this.#openAttempts = 0;
    if (from !== to && this.events.wants('STATE_TRANSITION')) {
      this.events.emit({ type: 'STATE_TRANSITION', name: this.name, createdAt: now, from, to });
    }
  }

  #enterOpen(now: number, openWaitMs: number): void {
    // OPEN keeps the window that tripped it, so metrics still explain why it opened.
    this.#openAttempts++;
    const requestedMs =
      openWaitMs >= 0 ? openWaitMs : this.config.waitDurationInOpenStateMs(this.#openAttempts);
    // A wait function returning NaN or a negative number must not wedge the breaker in OPEN.
    const waitMs = Number.isNaN(requestedMs) ? 0 : Math.max(0, requestedMs);
    this.#openUntil = now + waitMs;
    if (this.config.automaticTransitionFromOpenToHalfOpenEnabled) {
      this.#timer = this.#clock.setTimeout(() => {
        this.#timer = undefined;
        if (this.#state === 'OPEN') this.#transition('HALF_OPEN', 0);
      }, waitMs);
      unrefTimer(this.#timer);
    }
  }

  #freshWindow(to: CircuitBreakerState, now: number): void {
    this.#notPermitted = 0;
    if (to !== 'HALF_OPEN') {
      this.#window = this.#closedWindow();
      this.#minimumCalls = this.config.minimumNumberOfCalls;
      return;
    }
    const permitted = this.config.permittedNumberOfCallsInHalfOpenState;
    this.#window = new CountBasedWindow(permitted);
    this.#timedWindow = false;
    this.#minimumCalls = permitted;
    this.#halfOpenPermits = permitted;
    this.#halfOpenLastActivity = now;
    const maxWaitMs = this.config.maxWaitDurationInHalfOpenStateMs;
    if (maxWaitMs > 0) {
      this.#timer = this.#clock.setTimeout(() => {
        this.#timer = undefined;
        if (this.#state === 'HALF_OPEN') this.#transition('OPEN', -1);
      }, maxWaitMs);
      unrefTimer(this.#timer);
    }
  }

  #closedWindow(): SlidingWindow {
    const { slidingWindowType, slidingWindowSize } = this.config;
    this.#timedWindow = slidingWindowType === 'TIME_BASED';
    return this.#timedWindow
      ? new TimeBasedWindow(slidingWindowSize)
      : new CountBasedWindow(slidingWindowSize);
  }
}
