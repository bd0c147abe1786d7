/**
 * Watch fan-out for in-process stores: a bounded history for replay plus the live subscribers.
 * Each subscriber gets its own copy of every event, so a consumer that mutates what it receives
 * cannot corrupt the store or another consumer.
 */
import type { StoredResource } from '../resources/resource.js';
import { cloneResource } from './apply-plan.js';
import type { WatchEvent } from './resource-store.js';

type Listener = (event: WatchEvent) => void;

/** History + subscribers. */
export class WatchHub {
  readonly #history: WatchEvent[] = [];
  /** Events with revision ≤ this are no longer (fully) in the history. */
  #historyStart = 0;
  readonly #listeners = new Set<Listener>();

  constructor(
    private readonly maxHistoryEvents: number,
    private readonly snapshot: () => StoredResource[],
    private readonly onWarning: (message: string) => void = (m) => console.warn(`meshwork store: ${m}`),
  ) {}

  /** Adds an event to the history without delivering it (journal replay at startup). */
  record(event: WatchEvent): void {
    this.#history.push(event);
    if (this.#history.length > this.maxHistoryEvents) {
      const dropped = this.#history.splice(0, this.#history.length - this.maxHistoryEvents);
      this.#historyStart = dropped[dropped.length - 1].revision;
    }
  }

  /** Records and delivers an event to every subscriber. */
  publish(event: WatchEvent): void {
    this.record(event);
    for (const listener of this.#listeners) this.#deliver(listener, event);
  }

  /** Forgets history up to `revision` (a snapshot replaced it). */
  reset(revision: number): void {
    this.#history.length = 0;
    this.#historyStart = revision;
  }

  /** Replays events after `fromRevision` (or resyncs), then subscribes. */
  subscribe(fromRevision: number, currentRevision: number, listener: Listener): () => void {
    if (fromRevision < this.#historyStart) {
      for (const resource of this.snapshot()) {
        this.#deliver(listener, { type: 'ADDED', resource, revision: currentRevision });
      }
    } else {
      for (const event of this.#history) if (event.revision > fromRevision) this.#deliver(listener, event);
    }
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Drops every subscriber. */
  close(): void {
    this.#listeners.clear();
  }

  #deliver(listener: Listener, event: WatchEvent): void {
    try {
      listener({ type: event.type, resource: cloneResource(event.resource), revision: event.revision });
    } catch (err) {
      // A failing consumer must not stop the store or starve the other consumers.
      this.onWarning(`a watch listener threw: ${(err as Error).message}`);
    }
  }
}
