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
export interface Target {
  role: Row['role'];
  system: string;
  pid: number;
  /** Parley's data dir, for the stored count; absent for servers that store nothing */
  dataDir?: string;
  /** Parley's HTTP base, for its commit metrics over the window */
  httpUrl?: string;
}

interface Measured { result: GenResult; cpu_s: number; host_s: number; rss_mb: number; metrics: Record<string, number> }

async function drive(script: string, t: Target, cfg: PairsConfig | FanoutConfig): Promise<Measured> {
  const pid = t.pid;
  const gen = new Child(script);
  try {
    gen.send({ type: 'config', cfg });
    await gen.waitFor('ready', 180_000);
    const meter = new CpuMeter(pid);
    let cpu_s = NaN;
    let host_s = NaN;
    let rss_mb = NaN;
    let m0: Promise<MetricsSnapshot | null> = Promise.resolve(null);
    let m1: Promise<MetricsSnapshot | null> = Promise.resolve(null);
    gen.on('mark', (m) => {
      if (m.phase === 'start') {
        meter.start();
        if (t.httpUrl) m0 = snapshot(t.httpUrl);
      } else {
        if (t.httpUrl) m1 = snapshot(t.httpUrl);
        ({ cpu_s, host_s } = meter.stop());
        rss_mb = memOf(pid).rss_mb;
      }
    });
    gen.send({ type: 'start' });
    const { result } = await gen.waitFor<{ result: GenResult }>('result', cfg.warmupMs + cfg.durationMs + cfg.drainMs + 60_000);
    if (Number.isNaN(cpu_s)) ({ cpu_s, host_s } = meter.stop());
    if (Number.isNaN(rss_mb)) rss_mb = memOf(pid).rss_mb;
    return { result, cpu_s, host_s, rss_mb, metrics: windowStats(await m0, await m1, result.window_s) };
  } finally {
    await gen.stop();
  }
}

function correctness(t: Target, r: GenResult, recipients: number, runTag: string): Correctness {
  const errorCount = Object.values(r.errors).reduce((a, b) => a + b, 0);
  const expected = r.acked * recipients;
  let stored: number | null = null;
  let misordered = 0;
  if (t.dataDir) {
    const s = storedCheck(t.dataDir, r.convs.map((c) => c.conv_id), runTag);
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
  row.correctness = correctness(t, m.result, 1, cfg.runTag);
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
  row.correctness = correctness(t, m.result, cfg.members.length - 1, cfg.runTag);
  return { row, result: m.result };
}
