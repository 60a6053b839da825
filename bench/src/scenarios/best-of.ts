import type { Row } from '../report/types.js';

/**
 * The machine is shared: another tenant's burst can halve one run. Headline
 * pairs are therefore measured in alternating rounds (Parley, ceiling,
 * Parley, ceiling...) and each side keeps its best round, so a burst that
 * hits one side once does not decide the ratio. Every round's figure stays
 * in the row (`runs`).
 */
export function bestOf(rows: Row[], key: 'sends_per_s' | 'deliveries_per_s'): Row {
  const best = rows.reduce((a, b) => ((b[key] ?? 0) > (a[key] ?? 0) ? b : a));
  const out = { ...best, extra: { ...best.extra } };
  if (rows.length > 1) out.extra.runs = rows.map((r) => r[key]).join(' / ');
  // a correctness failure in any round is a failure of the row, whichever round was fastest
  const bad = rows.find((r) => r.correctness && !r.correctness.ok);
  if (bad) out.correctness = bad.correctness;
  return out;
}
