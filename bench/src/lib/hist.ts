import * as hdr from 'hdr-histogram-js';

/**
 * Latency histograms in microseconds (HdrHistogram, 3 significant digits,
 * 1 µs to 60 s). Children ship them to the parent as compressed base64 so the
 * parent can merge several generators exactly instead of averaging percentiles.
 */
export type Histogram = hdr.Histogram;

export function newHist(): Histogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3, autoResize: true });
}

export function record(h: Histogram, us: number): void {
  h.recordValue(Math.max(1, Math.min(60_000_000, Math.round(us))));
}

export function encodeHist(h: Histogram): string {
  return hdr.encodeIntoCompressedBase64(h);
}

export function decodeHist(s: string): Histogram {
  return hdr.decodeFromCompressedBase64(s, 32, false);
}

export function mergeHists(encoded: readonly string[]): Histogram {
  const out = newHist();
  for (const e of encoded) out.add(decodeHist(e));
  return out;
}

/** Percentiles in milliseconds, the unit of every table. */
export interface Latency { count: number; p50_ms: number; p99_ms: number; p999_ms: number; max_ms: number }

export function latencyOf(h: Histogram): Latency {
  const ms = (us: number) => Math.round(us) / 1000;
  if (h.totalCount === 0) return { count: 0, p50_ms: NaN, p99_ms: NaN, p999_ms: NaN, max_ms: NaN };
  return {
    count: h.totalCount,
    p50_ms: ms(h.getValueAtPercentile(50)),
    p99_ms: ms(h.getValueAtPercentile(99)),
    p999_ms: ms(h.getValueAtPercentile(99.9)),
    max_ms: ms(h.maxValue),
  };
}
