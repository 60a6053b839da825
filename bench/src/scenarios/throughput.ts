import { progress } from '../lib/log.js';
import type { PairsConfig } from '../gen/types.js';
import type { Row } from '../report/types.js';
import { medianOf } from './median-of.js';
import { drivePairs, type Target } from './drive.js';
import { makeUsers, pairsOf, parley, parleyTarget, plainTarget, startPlain, summary, type Ctx, type PlainServer } from './context.js';
import type { ParleyServer } from '../lib/parley-server.js';

/**
 * Scenario 1 (and 7): 1:1 throughput, closed loop with a window per sender.
 * Parley persists and acks after the commit. Two ceilings, driven by the same
 * generator with the same load shape: the persisted relay (the same durable
 * storage work, nothing else: servers/persisted-relay.ts) and the raw `ws`
 * relay (no storage). The peer is Socket.IO, also unpersisted.
 * Scenario 2: open loop at 50% and 80% of Parley's maximum, all three servers
 * at the same rates.
 *
 * Each persisted server first handles `prefillMessages` unmeasured messages,
 * so no measured window is a server's first 50,000 (caches that only degrade
 * once full, such as the recent-acks map, show in every round); each row
 * says how many messages its server had handled before its window.
 */
function pairsCfg(ctx: Ctx, url: string, transport: PairsConfig['transport'], creds: ReturnType<typeof pairsOf>, tag: string, over: Partial<PairsConfig> = {}): PairsConfig {
  const s = ctx.args.sizes;
  return {
    transport, url, pairs: creds, mode: 'closed', window: s.window, rate: 0, textBytes: s.textBytes,
    warmupMs: s.warmupMs, durationMs: s.durationMs, drainMs: s.drainMs, runTag: `${ctx.runTag}${tag}`, ...over,
  };
}

const PARLEY = 'Parley (persisted, acked after commit)';
const PERSISTED = 'persisted relay (ceiling: same durable storage work, nothing else)';
const RELAY = 'ws relay (ceiling: parse + forward, no storage)';

/** One server under test and the messages it has handled so far (prefill and rounds). */
interface Side { label: string; target: Target; users: (prefix: string, n: number) => Promise<ReturnType<typeof pairsOf>[number]['from'][]>; url: string; handled: number }

function parleySide(server: ParleyServer, system: string): Side {
  return { label: 'p', target: { role: 'parley', system, ...parleyTarget(server) }, url: server.wsUrl, handled: 0, users: (p, n) => makeUsers(server, p, n) };
}

function plainSide(server: PlainServer, system: string, label: string): Side {
  return { label, target: { role: 'ceiling', system, ...plainTarget(server) }, url: server.url, handled: 0, users: (p, n) => makeUsers(null, p, n) };
}

async function round(ctx: Ctx, name: string, side: Side, tag: string, over: Partial<PairsConfig> = {}, system?: string): Promise<Row> {
  const creds = pairsOf(await side.users(`${side.label}${ctx.runTag}${tag}u`, ctx.args.sizes.pairs * 2));
  const { row } = await drivePairs(name, system ? { ...side.target, system } : side.target, pairsCfg(ctx, side.url, 'ws', creds, `${side.label}${tag}`, over));
  row.extra.msgs_before_window = side.handled;
  side.handled += row.correctness?.acked ?? 0;
  progress(`${name}: ${summary(row)}`);
  return row;
}

/** Unmeasured closed-loop runs until the server has handled `prefillMessages` (at most 10 runs). */
async function prefill(ctx: Ctx, name: string, side: Side): Promise<void> {
  const want = ctx.args.sizes.prefillMessages;
  for (let i = 0; side.handled < want && i < 10; i++) {
    progress(`${name}: pre-fill ${side.target.system.split(' (')[0]}: ${side.handled.toLocaleString('en-US')} of ${want.toLocaleString('en-US')} messages`);
    const creds = pairsOf(await side.users(`${side.label}${ctx.runTag}pf${i}u`, ctx.args.sizes.pairs * 2));
    const { result } = await drivePairs(`${name} (pre-fill)`, { ...side.target, admin: undefined, runtime: undefined },
      pairsCfg(ctx, side.url, 'ws', creds, `${side.label}pf${i}`, { warmupMs: 0, durationMs: 4000 }));
    side.handled += result.acked;
  }
}

/** Parley, the persisted relay and the ws relay in alternating rounds (median of each); the servers stay up across rounds. */
export async function throughputPair(ctx: Ctx): Promise<{ parley: Row; persisted: Row; relay: Row }> {
  const name = '1 1:1 throughput';
  const s = ctx.args.sizes;
  const server = await parley(ctx, name);
  const persisted = await startPlain('servers/persisted-relay.ts');
  const relay = await startPlain('servers/ws-relay.ts');
  const sides = [parleySide(server, PARLEY), plainSide(persisted, PERSISTED, 'd'), plainSide(relay, RELAY, 'r')];
  const rows: Row[][] = sides.map(() => []);
  try {
    await prefill(ctx, name, sides[0]);
    await prefill(ctx, name, sides[1]);
    for (let i = 0; i < s.rounds; i++) {
      progress(`${name}: round ${i + 1}/${s.rounds}: ${s.pairs} pairs × window ${s.window}, ${s.durationMs / 1000} s`);
      for (const [k, side] of sides.entries()) rows[k].push(await round(ctx, name, side, `${i}`));
    }
    const [p, d, r] = rows.map((x) => medianOf(x, 'sends_per_s'));
    ctx.parleyMaxSends = p.sends_per_s ?? undefined;
    return { parley: p, persisted: d, relay: r };
  } finally {
    await relay.stop();
    await persisted.stop();
    await server.stop();
  }
}

export async function socketIoPeer(ctx: Ctx): Promise<Row> {
  const name = '7 peer: Socket.IO 1:1';
  const server = await startPlain('servers/socketio-peer.ts');
  try {
    const creds = await makeUsers(null, `s${ctx.runTag}u`, ctx.args.sizes.pairs * 2);
    const { row } = await drivePairs(name, { role: 'peer', system: 'Socket.IO 4 (peer, no storage)', ...plainTarget(server) },
      pairsCfg(ctx, server.url, 'socketio', pairsOf(creds), 's'));
    progress(`${name}: ${summary(row)}`);
    return row;
  } finally {
    await server.stop();
  }
}

/**
 * Scenario 2: open loop at 50% and 80% of Parley's closed-loop maximum; Parley,
 * the persisted relay and the ws relay at the same rates, each pre-filled like
 * scenario 1, in alternating rounds (median p99 of each).
 */
export async function latencyAtLoad(ctx: Ctx): Promise<Row[]> {
  const name = '2 latency at fixed load';
  if (!ctx.parleyMaxSends) {
    const { parley: row } = await throughputPair(ctx);
    row.id = 'throughput';
    ctx.rows.push(row);
  }
  const max = ctx.parleyMaxSends ?? 0;
  if (!(max > 0)) throw new Error('scenario 2 needs a maximum from scenario 1');
  const out: Row[] = [];
  const server = await parley(ctx, name);
  const persisted = await startPlain('servers/persisted-relay.ts');
  const relay = await startPlain('servers/ws-relay.ts');
  const sides = [parleySide(server, PARLEY), plainSide(persisted, PERSISTED, 'd'), plainSide(relay, RELAY, 'r')];
  try {
    await prefill(ctx, name, sides[0]);
    await prefill(ctx, name, sides[1]);
    for (const frac of [0.5, 0.8]) {
      const rate = Math.max(10, Math.round(max * frac));
      const label = `${name} (${frac * 100}% of max)`;
      const rows: Row[][] = sides.map(() => []);
      for (let i = 0; i < ctx.args.sizes.rounds; i++) {
        progress(`${name}: open loop ${rate} sends/s (${frac * 100}% of ${max}), round ${i + 1}/${ctx.args.sizes.rounds}`);
        for (const [k, side] of sides.entries()) {
          rows[k].push(await round(ctx, label, side, `l${frac * 10}${i}`, { mode: 'open', rate }, `${side.target.system.split(' (')[0]} @ ${rate}/s`));
        }
      }
      out.push(...rows.map(medianP99));
    }
    return out;
  } finally {
    await relay.stop();
    await persisted.stop();
    await server.stop();
  }
}

/** The round with the median p99 (lower middle), all rounds' p99 listed. */
function medianP99(rows: Row[]): Row {
  const sorted = [...rows].sort((a, b) => (a.p99_ms ?? Infinity) - (b.p99_ms ?? Infinity));
  const mid = sorted[Math.floor((sorted.length - 1) / 2)];
  const out = { ...mid, extra: { ...mid.extra } };
  if (rows.length > 1) out.extra.runs_p99_ms = rows.map((r) => r.p99_ms).join(' / ');
  const bad = rows.find((r) => r.correctness && !r.correctness.ok);
  if (bad) out.correctness = bad.correctness;
  return out;
}
