import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

/**
 * CPU and memory of another process, read from /proc: the servers under test
 * are our children, so we measure them from outside rather than trusting
 * anything they report about themselves. CPU is utime+stime of all threads
 * (SQLite runs on the main thread; libuv's pool and V8's GC threads count too).
 */
let clkTck = 0;
function ticksPerSecond(): number {
  if (!clkTck) {
    try {
      clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clkTck = 100;
    }
  }
  return clkTck;
}

/** CPU seconds (user + system) the process has used so far. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // the command name (field 2) may contain spaces; fields after ')' are fixed
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  return (utime + stime) / ticksPerSecond();
}

export interface Mem { rss_mb: number; peak_rss_mb: number }

export function memOf(pid: number): Mem {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
  return { rss_mb: round(kb('VmRSS') / 1024, 1), peak_rss_mb: round(kb('VmHWM') / 1024, 1) };
}

export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? NaN) * 1024;
}

/** CPU seconds the whole machine has been busy (all cores, everything but idle and iowait). */
export function hostBusySeconds(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/).slice(1).map(Number);
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  return (total - f[3] - f[4]) / ticksPerSecond();
}

/**
 * A CPU meter over a window: start() at the window's start, stop() at its
 * end. It also reads the machine's total busy time, so a row can say how
 * much CPU went to processes that are neither the server nor the generator
 * (other tenants of a shared machine): the noise behind a bad p99.
 */
export class CpuMeter {
  private t0 = 0;
  private c0 = 0;
  private h0 = 0;
  constructor(private readonly pid: number) {}
  start(): void {
    this.t0 = performance.now();
    this.c0 = cpuSeconds(this.pid);
    this.h0 = hostBusySeconds();
  }
  /** CPU seconds used in the window by the process and by the host, and the window's wall seconds */
  stop(): { cpu_s: number; host_s: number; wall_s: number } {
    return { cpu_s: cpuSeconds(this.pid) - this.c0, host_s: hostBusySeconds() - this.h0, wall_s: (performance.now() - this.t0) / 1000 };
  }
}

export function round(x: number, digits = 0): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
