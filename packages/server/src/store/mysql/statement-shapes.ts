/**
 * Fixed statement shapes for variable-length work. A statement with N value
 * rows is a different prepared statement for every N; so batches are cut
 * into a few fixed sizes, and every shape is prepared once per connection and
 * reused (the per-connection cache stays bounded and hits).
 */

export const ROW_SHAPES = [64, 16, 4, 1] as const;

/**
 * Cut `items` into pieces of the fixed sizes, the last one padded by
 * repeating its final item (for statements where a repeated row is harmless:
 * lookups, idempotent updates). Fewer round trips than cutExact.
 */
export function cutPadded<T>(items: readonly T[]): T[][] {
  return cutWithPadding(items).map((p) => p.padded);
}

/** As cutPadded, also giving each piece's real items (before the padding). */
export function cutWithPadding<T>(items: readonly T[]): Array<{ real: T[]; padded: T[] }> {
  const out: Array<{ real: T[]; padded: T[] }> = [];
  const max = ROW_SHAPES[0];
  for (let i = 0; i < items.length; i += max) {
    const real = items.slice(i, i + max);
    const size = [...ROW_SHAPES].reverse().find((s) => s >= real.length) ?? max;
    const padded = [...real];
    while (padded.length < size) padded.push(real[real.length - 1]!);
    out.push({ real, padded });
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
