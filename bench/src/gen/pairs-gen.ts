import { singleConvId, type ErrorFrame, type OkFrame, type SendFrame } from '@parley/protocol';
import { childMain, pool, reply, type ChildMsg } from '../lib/child.js';
import { nowUs, sleep } from '../lib/clock.js';
import { encodeHist, newHist, record } from '../lib/hist.js';
import { benchText, filler, parseBenchText, type MsgLite } from './frame-parse.js';
import { driveWindow } from './open-loop.js';
import { bookReply } from './replies.js';
import { openConn, type Conn } from './transports.js';
import type { GenResult, PairsConfig } from './types.js';

/**
 * 1:1 load generator (child process). Each pair is a sender connection and a
 * recipient connection; the sender sends single-chat text messages to the
 * recipient. Closed loop: `window` unacked sends per sender, the next one
 * leaving when an ack (or error) comes back. Open loop: a fixed total rate
 * on a schedule, latency counted from the scheduled time, so a stalled
 * server is charged for the sends it delayed (no coordinated omission).
 */
interface Pair {
  idx: number;
  from: Conn;
  to: Conn;
  toUser: string;
  sent: number;
  acked: number;
  errors: number;
  delivered: number;
  lastN: number;
  lastSeq: number;
  conv_id: string;
  sendTimes: Map<number, number>;
}

let cfg: PairsConfig;
const pairs: Pair[] = [];
const e2e = newHist();
const ackH = newHist();
const lag = newHist();
const errors: Record<string, number> = {};
let orderViolations = 0;
let mStart = Infinity;
let mEnd = Infinity;
let sending = false;
let ackedWin = 0;
let deliveredWin = 0;
let fill = 'x';

function send(p: Pair, tUs: number): void {
  const n = ++p.sent;
  p.sendTimes.set(n, tUs);
  const f: SendFrame = {
    op: 'send', id: n, cmid: `${cfg.runTag}.${p.idx}.${n}`, conv_type: 'single', to: p.toUser,
    type: 'text', content: { text: benchText(n, tUs, fill) },
  };
  p.from.send(f);
}

function onReply(p: Pair, f: OkFrame | ErrorFrame): void {
  const now = nowUs();
  const sentAt = bookReply(p, f, errors);
  if (f.op === 'ok' && now >= mStart && now < mEnd) {
    ackedWin++;
    if (sentAt !== undefined) record(ackH, now - sentAt);
  }
  if (cfg.mode === 'closed' && sending) send(p, nowUs());
}

function onMsg(p: Pair, m: MsgLite): void {
  const now = nowUs();
  const b = parseBenchText(m.text);
  if (!b) return;
  p.delivered++;
  if (b.n !== p.lastN + 1 || m.seq <= p.lastSeq) orderViolations++;
  p.lastN = b.n;
  p.lastSeq = m.seq;
  if (b.tUs >= mStart && b.tUs < mEnd) record(e2e, now - b.tUs);
  if (now >= mStart && now < mEnd) deliveredWin++;
}

async function connect(): Promise<void> {
  fill = filler(cfg.textBytes);
  await pool(cfg.pairs, 32, async (pc, idx) => {
    const p = { idx, toUser: pc.to.user, sent: 0, acked: 0, errors: 0, delivered: 0, lastN: 0, lastSeq: 0, conv_id: singleConvId(pc.from.user, pc.to.user), sendTimes: new Map() } as unknown as Pair;
    // a cluster (cfg.urls): pair i sends from link i and receives on the next, so every message crosses links
    const urls = cfg.urls?.length ? cfg.urls : [cfg.url];
    p.to = await openConn(cfg.transport, urls[(idx + 1) % urls.length]!, pc.to, { onMsg: (m) => onMsg(p, m), onReply: () => {} });
    p.from = await openConn(cfg.transport, urls[idx % urls.length]!, pc.from, { onMsg: () => {}, onReply: (f) => onReply(p, f) });
    pairs[idx] = p;
  });
}

const outstanding = () => pairs.reduce((s, p) => s + p.sent - p.acked - p.errors, 0);
const undelivered = () => pairs.reduce((s, p) => s + p.acked - p.delivered, 0);

async function run(): Promise<GenResult> {
  const t0 = nowUs();
  mStart = t0 + cfg.warmupMs * 1000;
  mEnd = mStart + cfg.durationMs * 1000;
  sending = true;
  const { overloaded, clientCpuS } = await driveWindow({
    mode: cfg.mode, warmupMs: cfg.warmupMs, durationMs: cfg.durationMs, t0, end: mEnd, window: cfg.window,
    rate: cfg.rate, maxOutstanding: Math.max(1000, cfg.rate * 2), units: pairs, send, outstanding,
    onLag: (us) => record(lag, us), mark: (phase) => reply({ type: 'mark', phase }),
  });
  if (overloaded) mEnd = Math.min(mEnd, nowUs());
  sending = false;
  const drainEnd = Date.now() + cfg.drainMs;
  while ((outstanding() > 0 || undelivered() > 0) && Date.now() < drainEnd) await sleep(20);
  const sum = (k: 'sent' | 'acked' | 'delivered') => pairs.reduce((s, p) => s + p[k], 0);
  return {
    window_s: Math.max(0.001, (Math.min(mEnd, nowUs()) - mStart) / 1e6),
    acked_in_window: ackedWin, delivered_in_window: deliveredWin,
    e2e_hist: encodeHist(e2e), ack_hist: encodeHist(ackH), lag_hist: encodeHist(lag),
    sent: sum('sent'), acked: sum('acked'), delivered: sum('delivered'), errors, order_violations: orderViolations,
    convs: pairs.map((p) => ({ conv_id: p.conv_id, acked: p.acked })),
    overloaded, drained: outstanding() === 0 && undelivered() === 0,
    client_cpu_s: clientCpuS(),
  };
}

childMain(async (m: ChildMsg) => {
  if (m.type === 'config') {
    cfg = m.cfg as PairsConfig;
    await connect();
    reply({ type: 'ready' });
  } else if (m.type === 'start') {
    const result = await run();
    reply({ type: 'result', result });
    for (const p of pairs) { p.from.close(); p.to.close(); }
  }
});
