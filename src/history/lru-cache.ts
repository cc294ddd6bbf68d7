// A bounded least-recently-used cache. The history list keeps decoded thumbnails and record pages in
// these: scrolling through tens of thousands of records must not grow memory, and whatever falls out is
// handed to `onEvict` (which closes an ImageBitmap), so nothing is left for the GC to find late or never.

export class LruCache<K, V> {
  // A Map iterates in insertion order: re-inserting on use keeps the least recently used first.
  private readonly entries = new Map<K, V>();

  constructor(
    readonly capacity: number,
    private readonly onEvict?: (value: V, key: K) => void,
  ) {
    if (!(capacity >= 1)) throw new RangeError('An LRU cache needs a capacity of at least 1.');
  }

  get size(): number {
    return this.entries.size;
  }

  has(key: K): boolean {
    return this.entries.has(key);
  }

  /** The value, without marking it as used. */
  peek(key: K): V | undefined {
    return this.entries.get(key);
  }

  /** The value, now marked as most recently used. */
  get(key: K): V | undefined {
    if (!this.entries.has(key)) return undefined;
    const value = this.entries.get(key) as V;
    this.entries.delete(key);
    this.entries.set(key, value);
    return value;
  }

  set(key: K, value: V): void {
    const old = this.entries.get(key);
    if (this.entries.has(key)) {
      this.entries.delete(key);
      if (old !== value) this.onEvict?.(old as V, key);
    }
    this.entries.set(key, value);
    while (this.entries.size > this.capacity) {
      const [oldestKey, oldest] = this.entries.entries().next().value as [K, V];
      this.entries.delete(oldestKey);
      this.onEvict?.(oldest, oldestKey);
    }
  }

  delete(key: K): boolean {
    if (!this.entries.has(key)) return false;
    const value = this.entries.get(key) as V;
    this.entries.delete(key);
    this.onEvict?.(value, key);
    return true;
  }

  /** Empties the cache, evicting (and so releasing) every entry. */
  clear(): void {
    const all = [...this.entries];
    this.entries.clear();
    for (const [key, value] of all) this.onEvict?.(value, key);
  }
}
