import { LruCache } from './lru-cache.js';

/**
 * A bounded cache in front of an async load (a store read), with the rule
 * every access-guarding cache here depends on: once `invalidate(key)` (or
 * `clear()`) has returned, no caller that asks afterwards gets a value read
 * before it. Concurrent misses share one load; a load that was in flight
 * when its key was invalidated still answers the callers already waiting on
 * it (they asked before the change) but is never stored, and later callers
 * start a fresh load. A loader that returns `undefined` (not found) or fails
 * caches nothing.
 */
export class LoadingCache<K, V> {
  private readonly values: LruCache<K, V>;
  private readonly loading = new Map<K, Promise<V | undefined>>();

  constructor(maxEntries: number) {
    this.values = new LruCache(maxEntries);
  }

  get size(): number {
    return this.values.size;
  }

  get(key: K, load: () => Promise<V | undefined>): Promise<V | undefined> {
    const hit = this.values.get(key);
    if (hit !== undefined) return Promise.resolve(hit);
    let p = this.loading.get(key);
    if (!p) {
      const started = load();
      p = started;
      this.loading.set(key, started);
      started.then(
        (v) => {
          // An invalidation during the load replaced or dropped this promise: do not keep what it read.
          if (this.loading.get(key) !== started) return;
          this.loading.delete(key);
          if (v !== undefined) this.values.set(key, v);
        },
        () => {
          if (this.loading.get(key) === started) this.loading.delete(key);
        },
      );
    }
    return p;
  }

  /** The cached value, if any; never loads. */
  peek(key: K): V | undefined {
    return this.values.peek(key);
  }

  /** Store a value known to be current (just written by this process). */
  set(key: K, value: V): void {
    this.loading.delete(key);
    this.values.set(key, value);
  }

  invalidate(key: K): void {
    this.values.delete(key);
    this.loading.delete(key);
  }

  clear(): void {
    this.values.clear();
    this.loading.clear();
  }
}
