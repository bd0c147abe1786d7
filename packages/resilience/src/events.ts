/** A listener for events of type `E`. */
export type Listener<E> = (event: E) => void;

/**
 * A minimal typed event publisher. `hasListeners` lets hot paths skip building event objects
 * when nobody is listening, which is the common case.
 */
export class EventPublisher<E extends { readonly type: string }> {
  #byType = new Map<string, Listener<E>[]>();
  #all: Listener<E>[] = [];
  /** True when at least one listener is registered (for any type). */
  hasListeners = false;
  /** Listener calls that threw. A listener bug must not change a policy's outcome, so it is counted here. */
  listenerErrors = 0;
  /** The most recent error thrown by a listener. */
  lastListenerError: unknown = undefined;

  /** Subscribes to one event type; returns a function that unsubscribes. */
  on<T extends E['type']>(type: T, listener: Listener<Extract<E, { type: T }>>): () => void {
    let list = this.#byType.get(type);
    if (list === undefined) this.#byType.set(type, (list = []));
    list.push(listener as Listener<E>);
    this.hasListeners = true;
    return () => this.#remove(list, listener as Listener<E>);
  }

  /** Subscribes to every event; returns a function that unsubscribes. */
  onEvent(listener: Listener<E>): () => void {
    this.#all.push(listener);
    this.hasListeners = true;
    return () => this.#remove(this.#all, listener);
  }

  /** True when someone listens to `type` (directly or through `onEvent`). */
  wants(type: E['type']): boolean {
    if (!this.hasListeners) return false;
    if (this.#all.length > 0) return true;
    const list = this.#byType.get(type);
    return list !== undefined && list.length > 0;
  }

  /** Delivers an event. A throwing listener cannot break the policy that emits. */
  emit(event: E): void {
    const list = this.#byType.get(event.type);
    if (list !== undefined) for (const listener of list.slice()) this.#call(listener, event);
    for (const listener of this.#all.slice()) this.#call(listener, event);
  }

  #call(listener: Listener<E>, event: E): void {
    try {
      listener(event);
    } catch (error) {
      this.listenerErrors++;
      this.lastListenerError = error;
    }
  }

  #remove(list: Listener<E>[], listener: Listener<E>): void {
    const index = list.indexOf(listener);
    if (index >= 0) list.splice(index, 1);
    let any = this.#all.length > 0;
    for (const l of this.#byType.values()) any ||= l.length > 0;
    this.hasListeners = any;
  }
}
