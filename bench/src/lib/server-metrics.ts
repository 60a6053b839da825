/**
 * Parley's own Prometheus counters, read at the start and the end of a
 * measured window to explain its figures: how many messages each group
 * commit carried, and what share of the window a commit was under way
 * (`commit_loop_pct`: with `sqlite_commit=inline` that is time the event loop
 * was held, better-sqlite3 being synchronous; with sqlite_commit=worker
 * it is time a commit was in flight there). Diagnostics beside a row, not the row.
 */
export interface MetricsSnapshot { batchSum: number; batchCount: number; commitSeconds: number; pushSeconds: number; pushCount: number }

function sumCount(text: string, name: string): { sum: number; count: number } {
  const num = (suffix: string) => Number(new RegExp(`^${name}_${suffix}(?:\\{[^}]*\\})? ([0-9.eE+-]+)$`, 'm').exec(text)?.[1] ?? NaN);
  return { sum: num('sum'), count: num('count') };
}

export async function snapshot(httpUrl: string): Promise<MetricsSnapshot | null> {
  try {
    const res = await fetch(`${httpUrl}/metrics`);
    if (!res.ok) return null;
    const text = await res.text();
    const batch = sumCount(text, 'parley_commit_batch_size');
    const push = sumCount(text, 'parley_push_seconds');
    return {
      batchSum: batch.sum, batchCount: batch.count, commitSeconds: sumCount(text, 'parley_commit_seconds').sum,
      pushSeconds: push.sum, pushCount: push.count,
    };
  } catch {
    return null;
  }
}

export function windowStats(a: MetricsSnapshot | null, b: MetricsSnapshot | null, windowS: number): Record<string, number> {
  if (!a || !b || !(b.batchCount > a.batchCount)) return {};
  const r2 = (x: number) => Math.round(x * 100) / 100;
  const commits = b.batchCount - a.batchCount;
  const commitS = b.commitSeconds - a.commitSeconds;
  return {
    commit_batch_avg: r2((b.batchSum - a.batchSum) / commits),
    commit_ms_avg: r2((commitS / commits) * 1000),
    commit_loop_pct: Math.round((commitS / windowS) * 100),
  };
}
