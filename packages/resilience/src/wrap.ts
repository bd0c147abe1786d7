import { ExecutionContext, type Policy, type Task } from './context.js';
import { ConfigError } from './errors.js';

/**
 * Composes policies: the first is outermost. The recommended order is
 * `wrap(rateLimiter, totalTimeout, retry, circuitBreaker, attemptTimeout)`.
 *
 * The chain is built once: each layer's inner step is a function created here, not per call,
 * and the user's function travels on one per-call context that the innermost step finds by
 * walking up the context chain (a few pointer hops).
 *
 * @example
 * const policy = wrap(retry, breaker, bulkhead, attemptTimeout);
 * const stock = await policy.execute(({ signal, attempt }) => inventory.check(42, { signal }));
 */
export function wrap(...policies: Policy[]): Policy {
  if (policies.length === 0) throw new ConfigError('wrap', 'needs at least one policy');
  policies.forEach((p, i) => {
    if (p === null || typeof p !== 'object' || typeof (p as Policy).execute !== 'function') {
      throw new ConfigError(`wrap[${i}]`, 'is not a policy (an object with execute(fn))');
    }
  });
  return new PolicyWrap(policies);
}

/** The policy `wrap()` returns. */
export class PolicyWrap implements Policy {
  readonly policies: readonly Policy[];
  readonly #outer: Policy;
  readonly #first: Task<unknown>;

  constructor(policies: Policy[]) {
    this.policies = Object.freeze([...policies]);
    this.#outer = policies[0];
    // steps[i] runs policies[i + 1]; the last step runs the caller's task.
    const owner = this;
    const steps: Task<unknown>[] = new Array(policies.length);
    steps[policies.length - 1] = function runTask(context: ExecutionContext) {
      let c: ExecutionContext | undefined = context;
      while (c !== undefined && c.owner !== owner) c = c.parent;
      if (c === undefined) {
        throw new TypeError(
          'wrap(): a policy in the chain did not pass the context it received to its function',
        );
      }
      return (c.task as Task<unknown>)(context);
    };
    for (let i = policies.length - 2; i >= 0; i--) {
      const next = policies[i + 1];
      const nextStep = steps[i + 1];
      steps[i] = function runLayer(context: ExecutionContext) {
        return next.execute(nextStep, context);
      };
    }
    this.#first = steps[0];
  }

  execute<T>(fn: Task<T>, parent?: ExecutionContext | AbortSignal): Promise<T> {
    const call =
      parent instanceof ExecutionContext
        ? new ExecutionContext(parent)
        : new ExecutionContext(undefined, parent);
    call.owner = this;
    call.task = fn;
    return this.#outer.execute(this.#first, call) as Promise<T>;
  }
}
