/**
 * Earliest-deadline-first scheduler over a fixed set of entries with weights that may change at
 * every pick (Envoy's `EdfScheduler::pickAndAdd`): the entry with the smallest deadline is picked,
 * the clock moves to that deadline, and the entry comes back at `now + 1 / weight` with the weight
 * as it is at that moment. A binary heap over typed arrays: O(log n) per pick, no allocation.
 */

/** EDF over entry indexes `0 … size − 1`. */
export class EdfScheduler {
  private readonly heap: Int32Array;
  private readonly deadline: Float64Array;
  /** Insertion order, so equal deadlines go first-in first-out as in Envoy. */
  private readonly order: Float64Array;
  private now = 0;
  private sequence = 0;

  /** `initialWeight(i)` must be > 0 for every entry. */
  constructor(size: number, initialWeight: (index: number) => number) {
    this.heap = new Int32Array(size);
    this.deadline = new Float64Array(size);
    this.order = new Float64Array(size);
    for (let i = 0; i < size; i++) {
      this.heap[i] = i;
      this.deadline[i] = 1 / initialWeight(i);
      this.order[i] = this.sequence++;
    }
    for (let i = (size >> 1) - 1; i >= 0; i--) this.siftDown(i);
  }

  /** The entry due next (not removed). */
  peek(): number {
    return this.heap[0];
  }

  /** Picks the entry due next and puts it back due `1 / weight` later. */
  pickAndAdd(weight: number): number {
    const index = this.heap[0];
    this.now = this.deadline[index];
    this.deadline[index] = this.now + 1 / weight;
    this.order[index] = this.sequence++;
    this.siftDown(0);
    return index;
  }

  private less(a: number, b: number): boolean {
    const da = this.deadline[a];
    const db = this.deadline[b];
    return da < db || (da === db && this.order[a] < this.order[b]);
  }

  private siftDown(position: number): void {
    const heap = this.heap;
    const size = heap.length;
    for (;;) {
      const left = 2 * position + 1;
      const right = left + 1;
      let smallest = position;
      if (left < size && this.less(heap[left], heap[smallest])) smallest = left;
      if (right < size && this.less(heap[right], heap[smallest])) smallest = right;
      if (smallest === position) return;
      const tmp = heap[position];
      heap[position] = heap[smallest];
      heap[smallest] = tmp;
      position = smallest;
    }
  }
}
