/**
 * Microsecond timestamps that can be compared across processes on this host:
 * process.hrtime reads CLOCK_MONOTONIC, which is system-wide on Linux, so a
 * sender in one child and a recipient in another share the same time base
 * (performance.now() would not: it is relative to each process's start).
 */
export function nowUs(): number {
  const [s, ns] = process.hrtime();
  return s * 1e6 + Math.floor(ns / 1e3);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
