import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Args } from './args.js';
import { machineFacts } from './lib/machine.js';
import { serverEntry } from './lib/parley-server.js';
import { progress } from './lib/log.js';
import { headlines } from './report/headlines.js';
import { summariseDir } from './tools/profile-summary.js';
import type { RunReport } from './report/types.js';
import type { Ctx } from './scenarios/context.js';
import { connections } from './scenarios/connections.js';
import { fanout } from './scenarios/fanout.js';
import { historyAndSearch } from './scenarios/history.js';
import { latencyAtLoad, socketIoPeer, throughputPair } from './scenarios/throughput.js';

/**
 * Runs the selected scenarios in order, one at a time (the machine has two
 * cores; anything concurrent would measure the bench, not the server), and
 * assembles the report. A scenario that throws is recorded as a note and the
 * rest still run, so one broken part does not hide the others' numbers.
 */
export async function runBench(args: Args, command: string): Promise<RunReport> {
  const started = new Date();
  const t0 = performance.now();
  const ctx: Ctx = {
    args, runTag: Date.now().toString(36).slice(-5), rows: [], notes: [],
    profileDir: args.profile ? resolve(join(args.out, 'profiles', started.toISOString().replace(/[:.]/g, ''))) : undefined,
  };
  if (ctx.profileDir) mkdirSync(ctx.profileDir, { recursive: true });
  const want = new Set(args.only);
  const step = async (name: string, fn: () => Promise<void>) => {
    try {
      await fn();
    } catch (err) {
      const msg = `${name} failed: ${err instanceof Error ? err.message : String(err)}`;
      progress(msg);
      ctx.notes.push(msg.split('\n')[0]);
    }
  };
  const add = (id: string, r: { id: string }) => { r.id = id; ctx.rows.push(r as never); };

  if (want.has('throughput')) {
    await step('throughput', async () => {
      const { parley, persisted, relay } = await throughputPair(ctx);
      add('throughput', parley);
      add('throughput-persisted', persisted);
      add('throughput-relay', relay);
    });
  }
  if (want.has('peer')) await step('peer (Socket.IO)', async () => add('peer-socketio', await socketIoPeer(ctx)));
  if (want.has('latency')) {
    await step('latency', async () => {
      const rows = await latencyAtLoad(ctx);
      const ids = ['latency-50', 'latency-50-persisted', 'latency-50-relay', 'latency-80', 'latency-80-persisted', 'latency-80-relay'];
      rows.forEach((r, i) => add(ids[i], r));
    });
  }
  if (want.has('fanout')) await step('fan-out', async () => { for (const r of await fanout(ctx)) ctx.rows.push(r); });
  if (want.has('connections')) await step('connections', async () => { for (const r of await connections(ctx)) ctx.rows.push(r); });
  if (want.has('history') || want.has('search')) {
    await step('history/search', async () => {
      for (const r of await historyAndSearch(ctx, { history: want.has('history'), search: want.has('search') })) ctx.rows.push(r);
    });
  }
  if (ctx.profileDir) {
    const file = join(ctx.profileDir, 'summary.md');
    writeFileSync(file, summariseDir(ctx.profileDir));
    ctx.notes.push(`--profile: the Parley server ran under node --cpu-prof (slower than without); profiles and their summary in ${file}`);
  }
  return {
    machine: machineFacts(), command, mode: args.quick ? 'quick' : 'full', server_entry: serverEntry(args.fromSource).label,
    started_at: started.toISOString(), duration_s: Math.round((performance.now() - t0) / 1000),
    rows: ctx.rows, headlines: headlines(ctx.rows), notes: ctx.notes,
  };
}
