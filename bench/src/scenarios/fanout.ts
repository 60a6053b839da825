import { progress } from '../lib/log.js';
import type { Creds } from '../gen/transports.js';
import type { FanoutConfig } from '../gen/types.js';
import type { Row } from '../report/types.js';
import { medianOf } from './median-of.js';
import { driveFanout, type Target } from './drive.js';
import { makeUsers, parley, parleyTarget, plainTarget, startPlain, summary, type Ctx } from './context.js';

/**
 * Scenario 3: one group, every member online, a few members sending.
 * First closed loop (a window per sender) for the maximum deliveries/s, then
 * open loop at half of Parley's maximum for latency to the last recipient.
 * The ceiling is raw `net` fan-out of the same push bytes to the same number
 * of sockets, run at the same settings. Parley's measured rows use its TCP
 * listener, so both sides are plain TCP sockets whose frames cost the one
 * generator process about the same to read; a WebSocket row per round shows
 * what the members' framing adds (the generator, not the server, is then the
 * bound: it decodes every delivery).
 */
function cfgOf(ctx: Ctx, url: string, transport: FanoutConfig['transport'], members: Creds[], tag: string, over: Partial<FanoutConfig>): FanoutConfig {
  const s = ctx.args.sizes;
  return {
    transport, url, group_id: `g${ctx.runTag}`, members, senders: s.fanoutSenders, mode: 'closed', window: s.fanoutWindow, rate: 0,
    textBytes: s.textBytes, warmupMs: s.warmupMs, durationMs: s.durationMs, drainMs: s.drainMs, runTag: `${ctx.runTag}${tag}`, ...over,
  };
}

/** The second run uses other members as senders: each sender's stored messages then count from 1. */
const rotate = (m: Creds[], k: number) => [...m.slice(k), ...m.slice(0, k)];

export async function fanout(ctx: Ctx): Promise<Row[]> {
  const name = '3 group fan-out';
  const s = ctx.args.sizes;
  const rounds = ctx.args.sizes.rounds;
  const server = await parley(ctx, name);
  const net = await startPlain('servers/net-fanout.ts');
  try {
    progress(`${name}: creating ${s.fanoutMembers} users and one group`);
    const members = await makeUsers(server, `f${ctx.runTag}u`, s.fanoutMembers);
    await server.admin.createGroup(`g${ctx.runTag}`, members[0].user, members.slice(1).map((m) => m.user));
    const netMembers = await makeUsers(null, `n${ctx.runTag}u`, s.fanoutMembers);
    const tp: Target = { role: 'parley', system: `Parley over TCP, ${s.fanoutMembers}-member group`, ...parleyTarget(server), reader: members[0].user };
    const tw: Target = { ...tp, system: `Parley over WebSocket, ${s.fanoutMembers}-member group` };
    const tn: Target = { role: 'ceiling', system: `raw net fan-out (ceiling, writes coalesced per turn), ${s.fanoutMembers} sockets`, ...plainTarget(net) };
    const maxLabel = `${name} (max, closed loop)`;
    const p: Row[] = [];
    const w: Row[] = [];
    const n: Row[] = [];
    // each run has its own senders (rotated member list), so each sender's stored messages count from 1
    let turn = 0;
    for (let i = 0; i < rounds; i++) {
      progress(`${name}: round ${i + 1}/${rounds}: closed loop, ${s.fanoutSenders} senders × window ${s.fanoutWindow}`);
      p.push((await driveFanout(maxLabel, tp, cfgOf(ctx, server.tcpUrl, 'tcp', rotate(members, s.fanoutSenders * turn), `m${i}`, {}))).row);
      progress(`${name}: ${summary(p.at(-1)!)}`);
      turn++;
      w.push((await driveFanout(maxLabel, tw, cfgOf(ctx, server.wsUrl, 'ws', rotate(members, s.fanoutSenders * turn), `w${i}`, {}))).row);
      progress(`${name}: ${summary(w.at(-1)!)}`);
      n.push((await driveFanout(maxLabel, tn, cfgOf(ctx, net.url, 'net', rotate(netMembers, s.fanoutSenders * turn), `nm${i}`, {}))).row);
      progress(`${name}: ${summary(n.at(-1)!)}`);
      turn++;
    }
    const pm = medianOf(p, 'deliveries_per_s');
    const wm = medianOf(w, 'deliveries_per_s');
    const nm = medianOf(n, 'deliveries_per_s');
    const rate = pm.sends_per_s ? Math.max(1, Math.round(pm.sends_per_s * 0.5)) : s.fanoutRate;
    progress(`${name}: open loop at ${rate} msgs/s (50% of Parley's max)`);
    const pr = (await driveFanout(`${name} (fixed rate)`, { ...tp, system: `Parley over TCP @ ${rate} msgs/s` },
      cfgOf(ctx, server.tcpUrl, 'tcp', rotate(members, s.fanoutSenders * turn), 'r', { mode: 'open', rate }))).row;
    progress(`${name}: ${summary(pr)}`);
    const nr = (await driveFanout(`${name} (fixed rate)`, { ...tn, system: `raw net @ ${rate} msgs/s` },
      cfgOf(ctx, net.url, 'net', rotate(netMembers, s.fanoutSenders * turn), 'nr', { mode: 'open', rate }))).row;
    progress(`${name}: ${summary(nr)}`);
    return [
      { ...pm, id: 'fanout-max' }, { ...wm, id: 'fanout-max-ws' }, { ...nm, id: 'fanout-max-net' }, { ...pr, id: 'fanout-rate' }, { ...nr, id: 'fanout-rate-net' },
    ];
  } finally {
    await net.stop();
    await server.stop();
  }
}
