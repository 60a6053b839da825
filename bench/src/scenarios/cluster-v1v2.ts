import { cpuSeconds, round } from '../lib/proc.js';
import { progress } from '../lib/log.js';
import type { Row } from '../report/types.js';
import { drivePairs } from './drive.js';
import { pairsOf, summary, type Ctx } from './context.js';
import { startBenchCluster } from './cluster-context.js';

/**
 * Seed §6, v1 vs v2: the same cluster layout (2 links, 2 dispatchers, 1 api,
 * MariaDB + Redis + NATS) twice in one run, once with link → dispatch → link
 * through the message bus (`--transport nats`, the seed's v1) and once over
 * direct TCP (`--transport tcp`, v2). The load is scenario 1's closed loop,
 * each pair's sender on one link and its recipient on the other, so every
 * message crosses link → dispatch → other link. Correctness is checked as in
 * scenario 1 (sent = acked = stored via the api's diagnostics, every message
 * delivered in order). CPU is summed over every Parley process for the whole
 * drive (warm-up and drain included), not only the window.
 */
const MODES = [
  { transport: 'tcp', system: 'v2: link → dispatch → link over direct TCP' },
  { transport: 'nats', system: 'v1: link → dispatch → link through NATS core' },
] as const;

export async function clusterV1V2(ctx: Ctx): Promise<Row[]> {
  const name = 'C1 cluster v1 vs v2 (2 links, 2 dispatchers)';
  const s = ctx.args.sizes;
  const rows: Row[] = [];
  for (const [i, mode] of MODES.entries()) {
    const c = await startBenchCluster(name, { links: 2, dispatchers: 2, transport: mode.transport });
    try {
      const ids = Array.from({ length: s.pairs * 2 }, (_, k) => `v${ctx.runTag}${i}u${k}`);
      const creds = await c.admin.users(ids, { concurrency: 16 });
      const cpu0 = c.pids.map(cpuSeconds);
      const { row } = await drivePairs(name, { role: 'parley', system: mode.system, pid: c.links[0]!.proc.pid!, admin: c.admin }, {
        transport: 'ws', url: c.wsUrls[0]!, urls: c.wsUrls, pairs: pairsOf(creds), mode: 'closed', window: s.window, rate: 0,
        textBytes: s.textBytes, warmupMs: s.warmupMs, durationMs: s.durationMs, drainMs: s.drainMs, runTag: `${ctx.runTag}v${i}`,
      });
      const cpu = c.pids.map((p, k) => cpuSeconds(p) - cpu0[k]!);
      // drive.ts measured one link's CPU and RSS; what the row says is the whole cluster's
      row.cpu_s_per_1k = null;
      row.server_rss_mb = null;
      for (const k of Object.keys(row.extra)) if (k.startsWith('server_') || k.startsWith('commit_')) delete row.extra[k];
      row.extra.transport = mode.transport;
      row.extra.cluster_cpu_s = round(cpu.reduce((a, b) => a + b, 0), 1);
      row.extra.cpu_s_by_process = c.cluster.procs.map((p, k) => `${p.id} ${round(cpu[k]!, 1)}`).join(', ');
      row.id = `cluster-${mode.transport}`;
      progress(`${name}: ${summary(row)}`);
      rows.push(row);
    } finally {
      await c.stop();
    }
  }
  const [v2, v1] = rows;
  if (v1?.sends_per_s && v2?.sends_per_s) {
    const ratio = round(v2.sends_per_s / v1.sends_per_s, 2);
    const p99 = v1.p99_ms && v2.p99_ms ? round(v1.p99_ms / v2.p99_ms, 2) : NaN;
    for (const r of rows) {
      r.extra.v2_over_v1_throughput = ratio;
      r.extra.v1_over_v2_p99 = p99;
    }
    ctx.notes.push(`cluster v1 vs v2: v2 (TCP) ${v2.sends_per_s} sends/s p50 ${v2.p50_ms} ms p99 ${v2.p99_ms} ms; v1 (NATS) ${v1.sends_per_s} sends/s p50 ${v1.p50_ms} ms p99 ${v1.p99_ms} ms; throughput v2/v1 = ${ratio}, p99 v1/v2 = ${p99}`);
  }
  return rows;
}
