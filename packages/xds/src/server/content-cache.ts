/**
 * A bounded map from content keys to values, oldest-used evicted first. Bounded both by entry
 * count and by the total length of the keys (which are serialised resources).
 */
export class ContentCache<V> {
  private readonly entries = new Map<string, V>();
  private keyChars = 0;

  constructor(
    private readonly maxEntries = 20_000,
    private readonly maxKeyChars = 32 * 1024 * 1024,
  ) {}

  get(key: string): V | undefined {
    const value = this.entries.get(key);
    if (value === undefined) return undefined;
    // Re-insert so Map order tracks recency.
    this.entries.delete(key);
    this.entries.set(key, value);
    return value;
  }

  set(key: string, value: V): void {
    if (key.length > this.maxKeyChars) return;
    if (!this.entries.has(key)) this.keyChars += key.length;
    this.entries.delete(key);
    this.entries.set(key, value);
    while (this.entries.size > this.maxEntries || this.keyChars > this.maxKeyChars) {
      const oldest = this.entries.keys().next().value!;
      this.entries.delete(oldest);
      this.keyChars -= oldest.length;
    }
  }

  get size(): number {
    return this.entries.size;
  }
}
