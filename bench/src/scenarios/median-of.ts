import type { Row } from '../report/types.js';

/**
 * The machine is shared: another tenant's burst can halve one run. Headline
 * pairs are therefore measured in alternating rounds (Parley, ceilings,
 * Parley, ceilings...) and each side reports its median round (the lower
 * middle one for an even count), so a burst that hits one side once neither
 * decides the ratio nor flatters it. Every round's figure stays in the row
 * (`runs`).
 */
export function medianOf(rows: Row[], key: 'sends_per_s' | 'deliveries_per_s'): Row {
  const sorted = [...rows].sort((a, b) => (a[key] ?? 0) - (b[key] ?? 0));
  const mid = sorted[Math.floor((sorted.length - 1) / 2)];
  const out = { ...mid, extra: { ...mid.extra } };
  if (rows.length > 1) out.extra.runs = rows.map((r) => r[key]).join(' / ');
  // a correctness failure in any round is a failure of the row, whichever round was the median
  const bad = rows.find((r) => r.correctness && !r.correctness.ok);
  if (bad) out.correctness = bad.correctness;
  return out;
}
