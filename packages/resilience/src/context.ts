import type { Clock } from './clock.js';

/**
 * The context every policy passes inward to the function it runs: attempt number, deadline and a
 * cancellation signal. The signal is created lazily — only when a callee reads `signal` — because
 * an `AbortController` costs microseconds and most calls never need one.
 */
export class ExecutionContext {
  /** 1-based attempt number, set by the nearest enclosing Retry or Hedging policy. */
  attempt: number;
  /** Absolute deadline on the policies' clock (ms); `Infinity` when nothing bounds the call. */
  deadline: number;
  /** The enclosing context, or undefined at the root. */
  readonly parent: ExecutionContext | undefined;
  /** @internal Marker used by `wrap()` to find its own call state; undefined elsewhere. */
  owner: unknown;
  /** @internal The user function carried by `wrap()`; undefined elsewhere. */
  task: unknown;
  #external: AbortSignal | undefined;
  #controller: AbortController | undefined;
  #aborted = false;
  #reason: unknown;

  constructor(parent?: ExecutionContext, external?: AbortSignal) {
    this.parent = parent;
    this.#external = external;
    this.attempt = parent === undefined ? 1 : parent.attempt;
    this.deadline = parent === undefined ? Infinity : parent.deadline;
    this.owner = undefined;
    this.task = undefined;
    this.#controller = undefined;
    this.#reason = undefined;
  }

  /** True once this context or any ancestor (or the caller's signal) was aborted. Never allocates. */
  get aborted(): boolean {
    if (this.#aborted) return true;
    if (this.#external?.aborted) return true;
    return this.parent?.aborted === true;
  }

  /** Why the context was aborted (its own reason first, then the nearest aborted ancestor's). */
  get abortReason(): unknown {
    if (this.#aborted) return this.#reason;
    if (this.#external?.aborted) return this.#external.reason;
    return this.parent?.abortReason;
  }

  /**
   * An AbortSignal that fires when this context or any ancestor is aborted. Created on first
   * read; reading it is the only thing that costs an AbortController.
   */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      const controller = new AbortController();
      this.#controller = controller;
      // The shared root never aborts, so a child of it needs no combined signal.
      const parent = this.parent;
      const upstream = parent !== undefined && parent !== ROOT_CONTEXT ? parent.signal : this.#external;
      if (this.#aborted) controller.abort(this.#reason);
      else if (upstream === undefined) return controller.signal;
      else if (upstream.aborted) controller.abort(upstream.reason);
      // AbortSignal.any holds its sources weakly, so long-lived parents do not accumulate listeners.
      else return (this.#signal = AbortSignal.any([upstream, controller.signal]));
    }
    return this.#signal ?? this.#controller.signal;
  }
  #signal: AbortSignal | undefined = undefined;

  /** Aborts this context (and every descendant). Idempotent. */
  abort(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    this.#controller?.abort(reason);
  }
}

/** Construction options that are not configuration. */
export interface PolicyOptions {
  /** Time source; defaults to the system clock. */
  clock?: Clock;
  /** Where the config came from, used to name fields in errors (e.g. `retry.instances.inventory`). */
  configPath?: string;
}

/** The shared root cannot be aborted by a callee that happens to receive it. */
class RootContext extends ExecutionContext {
  override abort(_reason: unknown): void {}
}

/**
 * Shared root for calls made without a context: never aborted, attempt 1, no deadline. Frozen,
 * so no callee can change what every other root call sees.
 */
export const ROOT_CONTEXT: ExecutionContext = Object.freeze(new RootContext()) as ExecutionContext;

/** A function run by a policy. It may ignore the context. */
export type Task<T> = (context: ExecutionContext) => T | PromiseLike<T>;

/**
 * The one contract of every policy: run `fn` under the policy. `parent` is the enclosing context
 * (passed by `wrap()`) or a caller's AbortSignal.
 */
export interface Policy {
  execute<T>(fn: Task<T>, parent?: ExecutionContext | AbortSignal): Promise<T>;
}

/** Resolves `parent` to a context without allocating in the common case. */
export function contextOf(parent: ExecutionContext | AbortSignal | undefined): ExecutionContext {
  if (parent === undefined) return ROOT_CONTEXT;
  if (parent instanceof ExecutionContext) return parent;
  return new ExecutionContext(undefined, parent);
}
