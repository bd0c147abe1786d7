import { contextOf, type ExecutionContext, type Policy, type Task } from './context.js';
import { compileErrorList, type ErrorMatcher, type ErrorPredicate, either } from './error-filter.js';
import { checkFunction } from './validate.js';

/** Fallback settings. */
export interface FallbackConfig<F> {
  /** Produces the substitute value from the error (or undefined for a `handleResult` hit). */
  fallback: (error: unknown, context: ExecutionContext) => F | PromiseLike<F>;
  /** Errors that trigger the fallback (default: all). Classes or error codes/names. */
  handleExceptions?: readonly ErrorMatcher[];
  /** Predicate: does this error trigger the fallback? OR-ed with `handleExceptions`. */
  handleError?: (error: unknown) => boolean;
  /** Predicate: should this result be replaced by the fallback? */
  handleResult?: (result: unknown) => boolean;
}

/**
 * Replaces a failure with a substitute value, like Resilience4j's `fallbackMethod`. Put it
 * outermost so it also covers rejections (open breaker, full bulkhead, timeout).
 *
 * @example
 * const fallback = new Fallback({ fallback: () => InventoryDto.unknown(productId) });
 */
export class Fallback<F> implements Policy {
  readonly #fallback: (error: unknown, context: ExecutionContext) => F | PromiseLike<F>;
  readonly #handles: ErrorPredicate | undefined;
  readonly #handleResult: ((result: unknown) => boolean) | undefined;

  constructor(config: FallbackConfig<F>) {
    this.#fallback = checkFunction('fallback.fallback', (config as FallbackConfig<F> | undefined)?.fallback);
    this.#handles = either(
      compileErrorList('fallback.handleExceptions', config.handleExceptions),
      config.handleError === undefined
        ? undefined
        : checkFunction('fallback.handleError', config.handleError),
    );
    this.#handleResult =
      config.handleResult === undefined
        ? undefined
        : checkFunction('fallback.handleResult', config.handleResult);
  }

  async execute<T>(fn: Task<T>, parent?: ExecutionContext | AbortSignal): Promise<T> {
    const context = contextOf(parent);
    let result: T;
    try {
      result = await fn(context);
    } catch (error) {
      if (this.#handles !== undefined && !this.#handles(error)) throw error;
      return (await this.#fallback(error, context)) as unknown as T;
    }
    if (this.#handleResult?.(result)) return (await this.#fallback(undefined, context)) as unknown as T;
    return result;
  }
}
