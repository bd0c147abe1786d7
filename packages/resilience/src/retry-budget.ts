import { type Clock, systemClock } from './clock.js';
import type { PolicyOptions } from './context.js';
import { at, checkKnownKeys, checkNumber, stripUndefined } from './validate.js';

/** Retry budget settings (Finagle's `RetryBudget`, Envoy's `retry_budget`). */
export interface RetryBudgetConfig {
  /** How long deposits and withdrawals count (ms). */
  ttlMs?: number;
  /** Retries always allowed per second, even with little traffic. */
  minRetriesPerSecond?: number;
  /** Retries allowed as a share of requests (0.2 = 20%). */
  percentCanRetry?: number;
}

/** Defaults, as in Finagle. */
export const RETRY_BUDGET_DEFAULTS = {
  ttlMs: 10_000,
  minRetriesPerSecond: 10,
  percentCanRetry: 0.2,
} as const;

/**
 * Caps retries at a share of recent requests so a struggling downstream does not face a retry
 * storm: over the last `ttlMs`, retries ≤ `percentCanRetry × requests + minRetriesPerSecond ×
 * ttl`. Share one budget among every Retry that calls the same downstream.
 *
 * @example
 * const budget = new RetryBudget({ percentCanRetry: 0.2 });
 * const retry = new Retry('inventory', { maxAttempts: 3, retryBudget: budget });
 */
export class RetryBudget {
  readonly ttlMs: number;
  readonly minRetriesPerSecond: number;
  readonly percentCanRetry: number;
  readonly #clock: Clock;
  readonly #seconds: number;
  readonly #deposits: Float64Array;
  readonly #withdrawals: Float64Array;
  #headSecond = Number.NEGATIVE_INFINITY;
  #depositTotal = 0;
  #withdrawalTotal = 0;

  constructor(config: RetryBudgetConfig = {}, options?: PolicyOptions) {
    const path = options?.configPath ?? 'retryBudget';
    checkKnownKeys(path, config, Object.keys(RETRY_BUDGET_DEFAULTS));
    const c = { ...RETRY_BUDGET_DEFAULTS, ...stripUndefined(config) };
    this.ttlMs = checkNumber(at(path, 'ttlMs'), c.ttlMs, { min: 1000, integer: true });
    this.minRetriesPerSecond = checkNumber(at(path, 'minRetriesPerSecond'), c.minRetriesPerSecond, {
      min: 0,
    });
    this.percentCanRetry = checkNumber(at(path, 'percentCanRetry'), c.percentCanRetry, { min: 0, max: 1 });
    this.#clock = options?.clock ?? systemClock;
    this.#seconds = Math.ceil(this.ttlMs / 1000);
    this.#deposits = new Float64Array(this.#seconds);
    this.#withdrawals = new Float64Array(this.#seconds);
  }

  /** Records a request (an initial attempt). */
  deposit(): void {
    const i = this.#advance();
    this.#deposits[i]++;
    this.#depositTotal++;
  }

  /** Takes one retry from the budget; false when the budget is spent. */
  tryWithdraw(): boolean {
    const i = this.#advance();
    if (this.#withdrawalTotal + 1 > this.balanceLimit) return false;
    this.#withdrawals[i]++;
    this.#withdrawalTotal++;
    return true;
  }

  /** Retries allowed over the current window. */
  get balanceLimit(): number {
    return this.#depositTotal * this.percentCanRetry + this.minRetriesPerSecond * (this.ttlMs / 1000);
  }

  /** Retries still available now. */
  get balance(): number {
    this.#advance();
    return Math.max(0, Math.floor(this.balanceLimit - this.#withdrawalTotal));
  }

  #advance(): number {
    const second = Math.floor(this.#clock.now() / 1000);
    const n = this.#seconds;
    if (second > this.#headSecond) {
      if (second - this.#headSecond >= n) {
        this.#deposits.fill(0);
        this.#withdrawals.fill(0);
        this.#depositTotal = this.#withdrawalTotal = 0;
      } else {
        for (let s = this.#headSecond + 1; s <= second; s++) {
          const j = ((s % n) + n) % n;
          this.#depositTotal -= this.#deposits[j];
          this.#withdrawalTotal -= this.#withdrawals[j];
          this.#deposits[j] = this.#withdrawals[j] = 0;
        }
      }
      this.#headSecond = second;
    }
    return ((second % n) + n) % n;
  }
}
