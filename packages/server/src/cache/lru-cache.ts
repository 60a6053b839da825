/**
 * A map bounded by entry count that evicts the least recently used entry.
 * Every operation is O(1): entries sit in a doubly linked list beside a Map,
 * so eviction unlinks the tail instead of walking `map.keys()` (which, after
 * many deletes, steps over every deleted slot V8 has not compacted yet).
 */
interface Node<K, V> {
  key: K;
  value: V;
  newer: Node<K, V> | undefined;
  older: Node<K, V> | undefined;
}

export class LruCache<K, V> {
  private readonly nodes = new Map<K, Node<K, V>>();
  /** most recently used */
  private head: Node<K, V> | undefined;
  /** least recently used: evicted first */
  private tail: Node<K, V> | undefined;

  /** `onEvict` hears of entries pushed out by the bound (not of deletes). */
  constructor(readonly maxEntries: number, private readonly onEvict?: (key: K, value: V) => void) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError('maxEntries must be a positive integer');
  }

  get size(): number {
    return this.nodes.size;
  }

  /** The value, marked as just used. */
  get(key: K): V | undefined {
    const n = this.nodes.get(key);
    if (!n) return undefined;
    this.toFront(n);
    return n.value;
  }

  /** The value without touching its recency. */
  peek(key: K): V | undefined {
    return this.nodes.get(key)?.value;
  }

  has(key: K): boolean {
    return this.nodes.has(key);
  }

  set(key: K, value: V): void {
    const n = this.nodes.get(key);
    if (n) {
      n.value = value;
      this.toFront(n);
      return;
    }
    const fresh: Node<K, V> = { key, value, newer: undefined, older: this.head };
    if (this.head) this.head.newer = fresh;
    this.head = fresh;
    this.tail ??= fresh;
    this.nodes.set(key, fresh);
    if (this.nodes.size > this.maxEntries) {
      const evicted = this.tail;
      this.delete(evicted.key);
      this.onEvict?.(evicted.key, evicted.value);
    }
  }

  /** Keys from the most to the least recently used. */
  *keys(): IterableIterator<K> {
    for (let n = this.head; n; n = n.older) yield n.key;
  }

  delete(key: K): boolean {
    const n = this.nodes.get(key);
    if (!n) return false;
    this.unlink(n);
    this.nodes.delete(key);
    return true;
  }

  clear(): void {
    this.nodes.clear();
    this.head = this.tail = undefined;
  }

  private toFront(n: Node<K, V>): void {
    if (this.head === n) return;
    this.unlink(n);
    n.older = this.head;
    n.newer = undefined;
    if (this.head) this.head.newer = n;
    this.head = n;
    this.tail ??= n;
  }

  private unlink(n: Node<K, V>): void {
    if (n.newer) n.newer.older = n.older;
    else this.head = n.older;
    if (n.older) n.older.newer = n.newer;
    else this.tail = n.newer;
    n.newer = n.older = undefined;
  }
}

/** A set bounded the same way (the "ensured" sets: facts that are cheap to re-learn). */
export class LruSet<K> {
  private readonly lru: LruCache<K, true>;

  constructor(maxEntries: number) {
    this.lru = new LruCache(maxEntries);
  }

  get size(): number {
    return this.lru.size;
  }

  has(key: K): boolean {
    return this.lru.get(key) !== undefined;
  }

  add(key: K): void {
    this.lru.set(key, true);
  }

  delete(key: K): boolean {
    return this.lru.delete(key);
  }

  clear(): void {
    this.lru.clear();
  }
}
