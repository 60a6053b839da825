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

function statCpuSeconds(path: string): number {
  const stat = readFileSync(path, 'utf8');
  // the command name (field 2) may contain spaces; fields after ')' are fixed
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  return (utime + stime) / ticksPerSecond();
}

/** CPU seconds (user + system) the process has used so far. */
export function cpuSeconds(pid: number): number {
  return statCpuSeconds(`/proc/${pid}/stat`);
}

/** CPU seconds of the process's main thread (the event loop; its tid is the pid). */
export function mainThreadSeconds(pid: number): number {
  try {
    return statCpuSeconds(`/proc/${pid}/task/${pid}/stat`);
  } catch {
    return NaN;
  }
}

/** Busy CPU seconds of each core of the machine (cpu0, cpu1, ...). */
export function coreBusySeconds(): number[] {
  return readFileSync('/proc/stat', 'utf8').split('\n').filter((l) => /^cpu\d+ /.test(l)).map((l) => {
    const f = l.trim().split(/\s+/).slice(1).map(Number);
    return (f.slice(0, 8).reduce((a, b) => a + b, 0) - f[3] - f[4]) / ticksPerSecond();
  });
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
  private m0 = 0;
  private h0 = 0;
  private k0: number[] = [];
  constructor(private readonly pid: number) {}
  start(): void {
    this.t0 = performance.now();
    this.c0 = cpuSeconds(this.pid);
    this.m0 = mainThreadSeconds(this.pid);
    this.h0 = hostBusySeconds();
    this.k0 = coreBusySeconds();
  }
  /**
   * CPU seconds used in the window by the process (all threads, and its main
   * thread alone) and by the host, each core's busy share of the window (%),
   * and the window's wall seconds.
   */
  stop(): { cpu_s: number; main_s: number; host_s: number; core_pct: number[]; wall_s: number } {
    const wall_s = (performance.now() - this.t0) / 1000;
    const k1 = coreBusySeconds();
    return {
      cpu_s: cpuSeconds(this.pid) - this.c0, main_s: mainThreadSeconds(this.pid) - this.m0, host_s: hostBusySeconds() - this.h0,
      core_pct: k1.map((b, i) => round(((b - (this.k0[i] ?? b)) / wall_s) * 100)), wall_s,
    };
  }
}

export function round(x: number, digits = 0): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
