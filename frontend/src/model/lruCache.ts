/**
 * A bounded least-recently-used cache with a byte budget, used for decoded image bitmaps.
 * Evicted values are handed to `dispose` (ImageBitmap.close() frees decoded pixels at
 * once instead of waiting for GC). Entries the caller marks as pinned (drawn right now) are
 * never evicted: closing a bitmap a visible node still draws would blank it.
 */

export interface LruOptions<V> {
  maxEntries: number;
  maxBytes: number;
  sizeOf: (value: V) => number;
  dispose?: (value: V) => void;
  isPinned?: (key: string) => boolean;
}

export class LruCache<V> {
  private readonly map = new Map<string, { value: V; bytes: number }>();
  private totalBytes = 0;

  constructor(private readonly options: LruOptions<V>) {}

  get size(): number {
    return this.map.size;
  }

  get bytes(): number {
    return this.totalBytes;
  }

  has(key: string): boolean {
    return this.map.has(key);
  }

  /** Returns the value and marks it most recently used. */
  get(key: string): V | undefined {
    const entry = this.map.get(key);
    if (!entry) return undefined;
    this.map.delete(key);
    this.map.set(key, entry);
    return entry.value;
  }

  set(key: string, value: V): void {
    const old = this.map.get(key);
    if (old) {
      this.map.delete(key);
      this.totalBytes -= old.bytes;
      if (old.value !== value) this.options.dispose?.(old.value);
    }
    const bytes = this.options.sizeOf(value);
    this.map.set(key, { value, bytes });
    this.totalBytes += bytes;
    this.evict();
  }

  delete(key: string): void {
    const entry = this.map.get(key);
    if (!entry) return;
    this.map.delete(key);
    this.totalBytes -= entry.bytes;
    this.options.dispose?.(entry.value);
  }

  clear(): void {
    for (const key of [...this.map.keys()]) this.delete(key);
  }

  /** Drop least-recently-used unpinned entries until within budget. */
  evict(): void {
    const { maxEntries, maxBytes, isPinned } = this.options;
    if (this.map.size <= maxEntries && this.totalBytes <= maxBytes) return;
    for (const key of [...this.map.keys()]) {
      if (this.map.size <= maxEntries && this.totalBytes <= maxBytes) break;
      if (isPinned?.(key)) continue;
      this.delete(key);
    }
  }
}
