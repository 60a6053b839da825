import type { Row, RunReport } from './types.js';

/**
 * A hand-written SVG of one run: per row, throughput (deliveries/s, or
 * queries/s where nothing is delivered) on the left and p99 latency on the
 * right, both on log scales (the rows span five orders of magnitude),
 * coloured by role so each Parley bar sits beside its ceiling. No plotting
 * dependency: the bars are rectangles.
 */
const COLORS: Record<Row['role'], string> = { parley: '#2f6fdf', ceiling: '#8a8f98', peer: '#e08a2c' };
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const LABEL_W = 430;
const PANEL_W = 280;
const ROW_H = 20;
const TOP = 60;

function throughputOf(r: Row): number | null {
  return r.deliveries_per_s ?? r.sends_per_s ?? (typeof r.extra.queries_per_s === 'number' ? r.extra.queries_per_s : null);
}

/** One log-scale panel of horizontal bars; returns SVG elements. */
function panel(x: number, title: string, rows: Row[], value: (r: Row) => number | null, fmt: (v: number) => string): string[] {
  const vals = rows.map(value).filter((v): v is number => v !== null && v > 0);
  const lo = Math.floor(Math.log10(Math.min(...vals, 1)));
  const hi = Math.ceil(Math.log10(Math.max(...vals, 10)) + 0.15);
  const sx = (v: number) => ((Math.log10(v) - lo) / (hi - lo)) * PANEL_W;
  const bottom = TOP + rows.length * ROW_H;
  const out = [`<text x="${x}" y="${TOP - 14}" font-weight="bold">${esc(title)}</text>`];
  for (let d = lo; d <= hi; d++) {
    const gx = x + sx(10 ** d);
    out.push(`<line x1="${gx.toFixed(1)}" y1="${TOP - 4}" x2="${gx.toFixed(1)}" y2="${bottom}" stroke="#e4e4e4"/>`);
    out.push(`<text x="${gx.toFixed(1)}" y="${bottom + 13}" text-anchor="middle" fill="#777">${fmt(10 ** d)}</text>`);
  }
  rows.forEach((r, i) => {
    const v = value(r);
    if (v === null || !(v > 0)) return;
    const y = TOP + i * ROW_H;
    const w = Math.max(1, sx(v));
    out.push(`<rect x="${x}" y="${y + 3}" width="${w.toFixed(1)}" height="${ROW_H - 6}" fill="${COLORS[r.role]}"/>`);
    out.push(`<text x="${(x + w + 4).toFixed(1)}" y="${y + 14}" fill="#333">${fmt(v)}</text>`);
  });
  return out;
}

const num = (v: number) => (v >= 1e6 ? `${Math.round(v / 1e5) / 10}M` : v >= 1000 ? `${Math.round(v / 100) / 10}k` : v >= 10 ? String(Math.round(v)) : String(Math.round(v * 100) / 100));

export function svgPlot(rep: RunReport): string {
  const rows = rep.rows.filter((r) => throughputOf(r) !== null || r.p99_ms !== null);
  const width = LABEL_W + PANEL_W * 2 + 140;
  const height = TOP + rows.length * ROW_H + 50;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="20" font-size="14" font-weight="bold">${esc(`Parley bench (${rep.mode}) ${rep.machine.date.slice(0, 16).replace('T', ' ')} · git ${rep.machine.git_commit} · ${rep.machine.cores} cores`)}</text>`,
  ];
  rows.forEach((r, i) => {
    const y = TOP + i * ROW_H;
    if (i % 2 === 0) out.push(`<rect x="0" y="${y}" width="${width}" height="${ROW_H}" fill="#f7f7f9"/>`);
    out.push(`<text x="${LABEL_W - 8}" y="${y + 14}" text-anchor="end">${esc(`${r.scenario} · ${r.system}`.slice(0, 76))}</text>`);
  });
  out.push(...panel(LABEL_W, 'throughput: deliveries/s (reads: queries/s), log', rows, throughputOf, num));
  out.push(...panel(LABEL_W + PANEL_W + 70, 'p99 latency, ms, log', rows, (r) => r.p99_ms, num));
  const ly = height - 12;
  Object.entries(COLORS).forEach(([role, c], i) => {
    out.push(`<rect x="${10 + i * 90}" y="${ly - 9}" width="10" height="10" fill="${c}"/><text x="${24 + i * 90}" y="${ly}">${role}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
