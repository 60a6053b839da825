/** Progress lines on stderr (stdout stays free for the summary table). */
const t0 = performance.now();
let quiet = false;

export function setQuiet(q: boolean): void {
  quiet = q;
}

export function progress(msg: string): void {
  if (quiet) return;
  const s = ((performance.now() - t0) / 1000).toFixed(1).padStart(6);
  process.stderr.write(`[bench ${s}s] ${msg}\n`);
}

export function fmt(n: number | null | undefined, digits = 0): string {
  if (n === null || n === undefined || Number.isNaN(n)) return '–';
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}
