import type { Admin } from '../lib/admin.js';
import { Child } from '../lib/child.js';
import { latencyOf, decodeHist } from '../lib/hist.js';
import { CpuMeter, memOf, round } from '../lib/proc.js';
import { storedCheck } from '../lib/stored.js';
import { snapshot, windowStats, type MetricsSnapshot } from '../lib/server-metrics.js';
import type { Correctness, FanoutConfig, GenResult, PairsConfig } from '../gen/types.js';
import type { Row } from '../report/types.js';

/**
 * Runs one generator child against one server and turns its result into a
 * table row. The server's CPU is read from /proc over exactly the window the
 * generator measures (it reports the window's start and end), so CPU per
 * 1,000 messages divides like by like.
 */
export interface EventLoopTimes { idle_ms: number; active_ms: number }

export interface Target {
  role: Row['role'];
  system: string;
  pid: number;
  /** Parley's admin client: the stored count through its diagnostics route, its commit metrics over the window */
  admin?: Admin;
  /** a member who can read a group conversation (single chats read as their first user) */
  reader?: string;
  /** the server's cumulative event-loop times (Parley: diagnostics route; ceilings: over IPC) */
  runtime?: () => Promise<EventLoopTimes>;
}

interface Measured {
  result: GenResult; cpu_s: number; main_s: number; host_s: number; core_pct: number[]; rss_mb: number;
  elu: number | null; metrics: Record<string, number>;
}

async function drive(script: string, t: Target, cfg: PairsConfig | FanoutConfig): Promise<Measured> {
  const pid = t.pid;
  const gen = new Child(script);
  const safeRuntime = () => (t.runtime ? t.runtime().catch((err: unknown) => {
    process.stderr.write(`bench: ${t.system}: runtime reading failed: ${err instanceof Error ? err.message : String(err)}\n`);
    return null;
  }) : Promise.resolve(null));
  try {
    gen.send({ type: 'config', cfg });
    await gen.waitFor('ready', 180_000);
    const meter = new CpuMeter(pid);
    let cpu: ReturnType<CpuMeter['stop']> | null = null;
    let rss_mb = NaN;
    let m0: Promise<MetricsSnapshot | null> = Promise.resolve(null);
    let m1: Promise<MetricsSnapshot | null> = Promise.resolve(null);
    let e0: Promise<EventLoopTimes | null> = Promise.resolve(null);
    let e1: Promise<EventLoopTimes | null> = Promise.resolve(null);
    gen.on('mark', (m) => {
      if (m.phase === 'start') {
        meter.start();
        e0 = safeRuntime();
        if (t.admin) m0 = snapshot(t.admin.httpUrl);
      } else {
        e1 = safeRuntime();
        if (t.admin) m1 = snapshot(t.admin.httpUrl);
        cpu = meter.stop();
        rss_mb = memOf(pid).rss_mb;
      }
    });
    gen.send({ type: 'start' });
    const { result } = await gen.waitFor<{ result: GenResult }>('result', cfg.warmupMs + cfg.durationMs + cfg.drainMs + 60_000);
    // a generator that stopped early (overloaded) sends no end mark: the window ends with its result
    const ended = cpu !== null;
    const c = cpu ?? meter.stop();
    if (!ended) {
      e1 = safeRuntime();
      if (t.admin) m1 = snapshot(t.admin.httpUrl);
    }
    if (Number.isNaN(rss_mb)) rss_mb = memOf(pid).rss_mb;
    const [a, b] = [await e0, await e1];
    // event-loop utilisation over the window: active ÷ (active + idle) between the two readings
    const elu = a && b && b.active_ms + b.idle_ms > a.active_ms + a.idle_ms
      ? (b.active_ms - a.active_ms) / (b.active_ms - a.active_ms + b.idle_ms - a.idle_ms) : null;
    return {
      result, cpu_s: c.cpu_s, main_s: c.main_s, host_s: c.host_s, core_pct: c.core_pct, rss_mb, elu,
      metrics: windowStats(await m0, await m1, result.window_s),
    };
  } finally {
    await gen.stop();
  }
}

async function correctness(t: Target, r: GenResult, recipients: number, runTag: string): Promise<Correctness> {
  const errorCount = Object.values(r.errors).reduce((a, b) => a + b, 0);
  const expected = r.acked * recipients;
  let stored: number | null = null;
  let misordered = 0;
  if (t.admin) {
    const s = await storedCheck(t.admin, r.convs.map((c) => c.conv_id), runTag, t.reader);
    stored = s.stored;
    misordered = s.misordered;
  }
  const notes: string[] = [];
  if (!r.drained) notes.push('not drained in time');
  if (r.overloaded) notes.push('stopped early: server fell behind the offered rate');
  if (misordered) notes.push(`${misordered} stored out of send order`);
  const ok = errorCount === 0 && r.sent === r.acked && (stored === null || stored === r.acked)
    && r.delivered === expected && r.order_violations === 0 && misordered === 0;
  return {
    sent: r.sent, acked: r.acked, stored, delivered: r.delivered, expected_deliveries: expected,
    errors: r.errors, order_violations: r.order_violations + misordered, ok, note: notes.join('; ') || undefined,
  };
}

function baseRow(scenario: string, t: Target, m: Measured): Row {
  const r = m.result;
  const sends = r.acked_in_window / r.window_s;
  return {
    id: '', scenario, system: t.system, role: t.role,
    sends_per_s: round(sends), deliveries_per_s: round(r.delivered_in_window / r.window_s),
    p50_ms: null, p99_ms: null, p999_ms: null,
    cpu_s_per_1k: r.acked_in_window > 0 ? round((m.cpu_s / r.acked_in_window) * 1000, 3) : null,
    server_rss_mb: m.rss_mb, correctness: null,
    extra: {
      window_s: round(r.window_s, 2), server_cpu_pct: round((m.cpu_s / r.window_s) * 100),
      // the event loop's busy share (ELU), the main thread's CPU, and every other thread of the server (SQLite work off the loop, GC, libuv)
      ...(m.elu === null ? {} : { server_elu_pct: round(m.elu * 100) }),
      ...(Number.isNaN(m.main_s) ? {} : {
        server_main_cpu_pct: round((m.main_s / r.window_s) * 100), server_other_threads_cpu_pct: round(((m.cpu_s - m.main_s) / r.window_s) * 100),
      }),
      // each core of the machine, busy % over the window (server, generator and other tenants together)
      core_busy_pct: m.core_pct.join(' / '),
      client_cpu_pct: round((r.client_cpu_s / r.window_s) * 100),
      // CPU of everything else on the machine (other tenants, the kernel) over the window, in % of one core
      other_cpu_pct: Math.max(0, round(((m.host_s - m.cpu_s - r.client_cpu_s) / r.window_s) * 100)),
      ack_p50_ms: latencyOf(decodeHist(r.ack_hist)).p50_ms, ack_p99_ms: latencyOf(decodeHist(r.ack_hist)).p99_ms,
      ...m.metrics,
    },
  };
}

export async function drivePairs(scenario: string, t: Target, cfg: PairsConfig): Promise<{ row: Row; result: GenResult }> {
  const m = await drive('gen/pairs-gen.ts', t, cfg);
  const row = baseRow(scenario, t, m);
  const lat = latencyOf(decodeHist(m.result.e2e_hist));
  Object.assign(row, { p50_ms: lat.p50_ms, p99_ms: lat.p99_ms, p999_ms: lat.p999_ms });
  row.correctness = await correctness(t, m.result, 1, cfg.runTag);
  if (cfg.mode === 'open') openExtras(row, m.result, cfg.rate);
  return { row, result: m.result };
}

function openExtras(row: Row, r: GenResult, rate: number): void {
  row.extra.offered_per_s = rate;
  row.extra.sched_lag_p99_ms = latencyOf(decodeHist(r.lag_hist)).p99_ms;
}

export async function driveFanout(scenario: string, t: Target, cfg: FanoutConfig): Promise<{ row: Row; result: GenResult }> {
  const m = await drive('gen/fanout-gen.ts', t, cfg);
  const row = baseRow(scenario, t, m);
  const last = latencyOf(decodeHist(m.result.last_hist!));
  const each = latencyOf(decodeHist(m.result.e2e_hist));
  Object.assign(row, { p50_ms: last.p50_ms, p99_ms: last.p99_ms, p999_ms: last.p999_ms });
  row.extra.members = cfg.members.length;
  row.extra.per_delivery_p99_ms = each.p99_ms;
  if (row.sends_per_s) row.extra.cpu_s_per_1k_deliveries = round((row.cpu_s_per_1k ?? 0) / (cfg.members.length - 1), 5);
  if (cfg.mode === 'open') openExtras(row, m.result, cfg.rate);
  row.correctness = await correctness(t, m.result, cfg.members.length - 1, cfg.runTag);
  return { row, result: m.result };
}
