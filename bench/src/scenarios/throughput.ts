import { progress } from '../lib/log.js';
import type { PairsConfig } from '../gen/types.js';
import type { Row } from '../report/types.js';
import { bestOf } from './best-of.js';
import { drivePairs } from './drive.js';
import { makeUsers, pairsOf, parley, startPlain, summary, type Ctx } from './context.js';

/**
 * Scenario 1 (and 7): 1:1 throughput, closed loop with a window per sender.
 * Parley persists and acks after the commit; the ceiling is a `ws` relay
 * driven by the same generator; the peer is Socket.IO, also unpersisted.
 * Scenario 2: open loop at 50% and 80% of Parley's maximum.
 */
function pairsCfg(ctx: Ctx, url: string, transport: PairsConfig['transport'], creds: ReturnType<typeof pairsOf>, tag: string, over: Partial<PairsConfig> = {}): PairsConfig {
  const s = ctx.args.sizes;
  return {
    transport, url, pairs: creds, mode: 'closed', window: s.window, rate: 0, textBytes: s.textBytes,
    warmupMs: s.warmupMs, durationMs: s.durationMs, drainMs: s.drainMs, runTag: `${ctx.runTag}${tag}`, ...over,
  };
}

const PARLEY = 'Parley (persisted, acked after commit)';
const RELAY = 'ws relay (ceiling: parse + forward, no storage)';

/** Parley and the relay in alternating rounds (best of each); both servers stay up across rounds. */
export async function throughputPair(ctx: Ctx): Promise<{ parley: Row; relay: Row }> {
  const name = '1 1:1 throughput';
  const s = ctx.args.sizes;
  const rounds = ctx.args.quick ? 1 : 2;
  const server = await parley(ctx, name);
  const relay = await startPlain('servers/ws-relay.ts');
  const p: Row[] = [];
  const r: Row[] = [];
  try {
    for (let i = 0; i < rounds; i++) {
      const creds = await makeUsers(server, `t${ctx.runTag}${i}u`, s.pairs * 2);
      progress(`${name}: round ${i + 1}/${rounds}: ${s.pairs} pairs × window ${s.window}, ${s.durationMs / 1000} s`);
      const a = await drivePairs(name, { role: 'parley', system: PARLEY, pid: server.pid, dataDir: server.dataDir, httpUrl: server.httpUrl },
        pairsCfg(ctx, server.wsUrl, 'ws', pairsOf(creds), `a${i}`));
      p.push(a.row);
      progress(`${name}: ${summary(a.row)}`);
      const b = await drivePairs(name, { role: 'ceiling', system: RELAY, pid: relay.pid },
        pairsCfg(ctx, relay.url, 'ws', pairsOf(await makeUsers(null, `r${ctx.runTag}${i}u`, s.pairs * 2)), `r${i}`));
      r.push(b.row);
      progress(`${name}: ${summary(b.row)}`);
    }
    const best = bestOf(p, 'sends_per_s');
    ctx.parleyMaxSends = best.sends_per_s ?? undefined;
    return { parley: best, relay: bestOf(r, 'sends_per_s') };
  } finally {
    await relay.stop();
    await server.stop();
  }
}

export async function socketIoPeer(ctx: Ctx): Promise<Row> {
  const name = '7 peer: Socket.IO 1:1';
  const server = await startPlain('servers/socketio-peer.ts');
  try {
    const creds = await makeUsers(null, `s${ctx.runTag}u`, ctx.args.sizes.pairs * 2);
    const { row } = await drivePairs(name, { role: 'peer', system: 'Socket.IO 4 (peer, no storage)', pid: server.pid },
      pairsCfg(ctx, server.url, 'socketio', pairsOf(creds), 's'));
    progress(`${name}: ${summary(row)}`);
    return row;
  } finally {
    await server.stop();
  }
}

/** Scenario 2: open loop at 50% and 80% of Parley's closed-loop maximum, Parley and the relay at the same rates. */
export async function latencyAtLoad(ctx: Ctx): Promise<Row[]> {
  const name = '2 latency at fixed load';
  if (!ctx.parleyMaxSends) {
    const { parley: row } = await throughputPair(ctx);
    row.id = 'throughput';
    ctx.rows.push(row);
  }
  const max = ctx.parleyMaxSends ?? 0;
  if (!(max > 0)) throw new Error('scenario 2 needs a maximum from scenario 1');
  const rows: Row[] = [];
  const server = await parley(ctx, name);
  const relay = await startPlain('servers/ws-relay.ts');
  try {
    for (const frac of [0.5, 0.8]) {
      const rate = Math.max(10, Math.round(max * frac));
      const over = { mode: 'open' as const, rate };
      const label = `${name} (${frac * 100}% of max)`;
      const creds = await makeUsers(server, `l${ctx.runTag}${frac * 10}u`, ctx.args.sizes.pairs * 2);
      progress(`${name}: open loop ${rate} sends/s (${frac * 100}% of ${max})`);
      const a = await drivePairs(label, { role: 'parley', system: `Parley @ ${rate}/s`, pid: server.pid, dataDir: server.dataDir, httpUrl: server.httpUrl },
        pairsCfg(ctx, server.wsUrl, 'ws', pairsOf(creds), `l${frac * 10}`, over));
      progress(`${name}: ${summary(a.row)}`);
      const b = await drivePairs(label, { role: 'ceiling', system: `ws relay @ ${rate}/s`, pid: relay.pid },
        pairsCfg(ctx, relay.url, 'ws', pairsOf(await makeUsers(null, `lr${ctx.runTag}${frac * 10}u`, ctx.args.sizes.pairs * 2)), `lr${frac * 10}`, over));
      progress(`${name}: ${summary(b.row)}`);
      rows.push(a.row, b.row);
    }
    return rows;
  } finally {
    await relay.stop();
    await server.stop();
  }
}
