import type { Args } from './args.js';
import { machineFacts } from './lib/machine.js';
import { progress } from './lib/log.js';
import { headlines } from './report/headlines.js';
import type { RunReport } from './report/types.js';
import type { Ctx } from './scenarios/context.js';
import { clusterConnections } from './scenarios/cluster-connections.js';
import { clusterV1V2 } from './scenarios/cluster-v1v2.js';

/**
 * `npm run bench -- --cluster`: the cluster scenarios, on separate Parley
 * processes (scripts/proc-cluster.ts) over this machine's MariaDB, Redis and
 * NATS. `--only throughput` (the default) is seed §6's v1 vs v2; `--only
 * connections` is connections at scale over several links. One scenario at
 * a time; one that throws becomes a note and the others still run.
 */
export const CLUSTER_SCENARIOS = ['throughput', 'connections'] as const;

export async function runClusterBench(args: Args, command: string, onlyGiven: boolean): Promise<RunReport> {
  const started = new Date();
  const t0 = performance.now();
  const ctx: Ctx = { args, runTag: Date.now().toString(36).slice(-5), rows: [], notes: [] };
  const want = new Set<string>(onlyGiven ? args.only : ['throughput']);
  const bad = [...want].filter((w) => !(CLUSTER_SCENARIOS as readonly string[]).includes(w));
  if (bad.length) throw new Error(`--cluster runs ${CLUSTER_SCENARIOS.join(', ')}; not ${bad.join(', ')}`);
  const step = async (name: string, fn: () => Promise<void>) => {
    try {
      await fn();
    } catch (err) {
      const msg = `${name} failed: ${err instanceof Error ? err.message : String(err)}`;
      progress(msg);
      ctx.notes.push(msg.split('\n')[0]!);
    }
  };
  if (want.has('throughput')) await step('cluster v1 vs v2', async () => { ctx.rows.push(...await clusterV1V2(ctx)); });
  if (want.has('connections')) await step('cluster connections', async () => { ctx.rows.push(...await clusterConnections(ctx)); });
  return {
    machine: machineFacts(), command, mode: args.quick ? 'cluster-quick' : 'cluster-full', server_entry: 'parley start --role … from the sources (tsx)',
    started_at: started.toISOString(), duration_s: Math.round((performance.now() - t0) / 1000),
    rows: ctx.rows, headlines: headlines(ctx.rows), notes: ctx.notes,
  };
}
