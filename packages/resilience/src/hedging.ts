import { type Clock, systemClock, type TimerHandle } from './clock.js';
import { contextOf, ExecutionContext, type Policy, type PolicyOptions, type Task } from './context.js';
import { compileErrorList, type ErrorMatcher, type ErrorPredicate, either } from './error-filter.js';
import { AbortedError } from './errors.js';
import { at, checkFunction, checkKnownKeys, checkNumber, stripUndefined } from './validate.js';

/** Hedging settings (Polly's hedging strategy names, milliseconds). */
export interface HedgingConfig {
  /** Extra attempts beyond the first. */
  maxHedgedAttempts?: number;
  /** Wait before starting the next attempt while earlier ones are still running (ms). */
  delayMs?: number;
  /** Errors after which the next attempt starts at once (default: all). Classes or codes/names. */
  handleExceptions?: readonly ErrorMatcher[];
  /** Predicate: does this error justify another attempt? OR-ed with `handleExceptions`. */
  handleError?: (error: unknown) => boolean;
}

/** Defaults (Polly's). */
export const HEDGING_DEFAULTS = { maxHedgedAttempts: 1, delayMs: 2000 } as const;

/** Hedged attempts may run in parallel: only idempotent calls should be hedged. */
class HedgeRun<T> {
  readonly attempts: ExecutionContext[] = [];
  pending = 0;
  settled = false;
  lastError: unknown = undefined;
  timer: TimerHandle = undefined;
  resolve: (value: T) => void = () => {};
  reject: (error: unknown) => void = () => {};
}

/**
 * Starts another attempt if the first has not answered within `delayMs` (or failed), takes the
 * first success and aborts the others. Each attempt gets its own context (attempt 1, 2, …).
 *
 * @example
 * const hedge = new Hedging('search', { maxHedgedAttempts: 2, delayMs: 50 });
 * const hits = await hedge.execute(({ signal }) => search(q, { signal }));
 */
export class Hedging implements Policy {
  readonly name: string;
  readonly maxHedgedAttempts: number;
  readonly delayMs: number;
  readonly #clock: Clock;
  readonly #handles: ErrorPredicate | undefined;

  constructor(name: string, config: HedgingConfig = {}, options?: PolicyOptions) {
    const path = options?.configPath ?? 'hedging';
    checkKnownKeys(path, config, [...Object.keys(HEDGING_DEFAULTS), 'handleExceptions', 'handleError']);
    const c = { ...HEDGING_DEFAULTS, ...stripUndefined(config) };
    this.name = name;
    this.maxHedgedAttempts = checkNumber(at(path, 'maxHedgedAttempts'), c.maxHedgedAttempts, {
      min: 0,
      integer: true,
    });
    this.delayMs = checkNumber(at(path, 'delayMs'), c.delayMs, { min: 0 });
    this.#handles = either(
      compileErrorList(at(path, 'handleExceptions'), c.handleExceptions),
      c.handleError === undefined ? undefined : checkFunction(at(path, 'handleError'), c.handleError),
    );
    this.#clock = options?.clock ?? systemClock;
  }

  execute<T>(fn: Task<T>, parent?: ExecutionContext | AbortSignal): Promise<T> {
    const run = new HedgeRun<T>();
    const root = contextOf(parent);
    return new Promise<T>((resolve, reject) => {
      run.resolve = resolve;
      run.reject = reject;
      this.#launch(fn, root, run);
    });
  }

  #launch<T>(fn: Task<T>, root: ExecutionContext, run: HedgeRun<T>): void {
    const context = new ExecutionContext(root);
    context.attempt = run.attempts.length + 1;
    run.attempts.push(context);
    run.pending++;
    if (run.attempts.length <= this.maxHedgedAttempts) {
      run.timer = this.#clock.setTimeout(() => {
        run.timer = undefined;
        if (!run.settled && !root.aborted) this.#launch(fn, root, run);
      }, this.delayMs);
    }
    let promise: Promise<T>;
    try {
      promise = Promise.resolve(fn(context));
    } catch (error) {
      promise = Promise.reject(error);
    }
    promise.then(
      (value) => this.#succeed(run, context, value),
      (error) => this.#fail(fn, root, run, error),
    );
  }

  #succeed<T>(run: HedgeRun<T>, winner: ExecutionContext, value: T): void {
    run.pending--;
    if (run.settled) return;
    this.#finish(run);
    // Losers are cancelled with a stable code, so callees can tell this from a failure.
    const reason = new AbortedError(new Error('another hedged attempt answered first'));
    for (const context of run.attempts) if (context !== winner) context.abort(reason);
    run.resolve(value);
  }

  #fail<T>(fn: Task<T>, root: ExecutionContext, run: HedgeRun<T>, error: unknown): void {
    run.pending--;
    if (run.settled) return;
    run.lastError = error;
    const handled = this.#handles === undefined || this.#handles(error);
    if (handled && run.attempts.length <= this.maxHedgedAttempts && !root.aborted) {
      // A failed attempt is an answer: hedge now instead of waiting out the delay.
      if (run.timer !== undefined) this.#clock.clearTimeout(run.timer);
      run.timer = undefined;
      this.#launch(fn, root, run);
      return;
    }
    if (handled && run.pending > 0) return; // another attempt may still succeed
    this.#finish(run);
    for (const context of run.attempts) context.abort(error);
    run.reject(error);
  }

  #finish<T>(run: HedgeRun<T>): void {
    run.settled = true;
    if (run.timer !== undefined) this.#clock.clearTimeout(run.timer);
    run.timer = undefined;
  }
}
