/**
 * Fixed statement shapes for variable-length work. A statement with N value
 * rows is a different prepared statement for every N; so batches are cut
 * into a few fixed sizes, and every shape is prepared once per connection and
 * reused (the per-connection cache stays bounded and hits).
 */

export const ROW_SHAPES = [64, 16, 4, 1] as const;

/** Cut `items` greedily into pieces of the fixed sizes (no padding: for inserts). */
export function cutExact<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  let i = 0;
  for (const size of ROW_SHAPES) {
    while (items.length - i >= size) {
      out.push(items.slice(i, i + size));
      i += size;
    }
  }
  return out;
}

/**
 * Cut `items` into pieces of the fixed sizes, the last one padded by
 * repeating its final item (for statements where a repeated row is harmless:
 * lookups, idempotent updates). Fewer round trips than cutExact.
 */
export function cutPadded<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  const max = ROW_SHAPES[0];
  for (let i = 0; i < items.length; i += max) {
    const piece = items.slice(i, i + max);
    const size = [...ROW_SHAPES].reverse().find((s) => s >= piece.length) ?? max;
    while (piece.length < size) piece.push(piece[piece.length - 1]!);
    out.push(piece);
  }
  return out;
}

/** `(?, ?, ?), (?, ?, ?)`: n rows of k placeholders. */
export function placeholders(rows: number, cols: number): string {
  const row = `(${Array.from({ length: cols }, () => '?').join(', ')})`;
  return Array.from({ length: rows }, () => row).join(', ');
}

/** A cache of SQL text per row count, so the same string (and prepared statement) is used every time. */
export function shapeCache(build: (rows: number) => string): (rows: number) => string {
  const cache = new Map<number, string>();
  return (rows) => {
    let sql = cache.get(rows);
    if (sql === undefined) cache.set(rows, (sql = build(rows)));
    return sql;
  };
}
