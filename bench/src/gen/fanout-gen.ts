import { groupConvId, type ErrorFrame, type OkFrame, type SendFrame } from '@parley/protocol';
import { childMain, pool, reply, type ChildMsg } from '../lib/child.js';
import { nowUs, sleep } from '../lib/clock.js';
import { encodeHist, newHist, record } from '../lib/hist.js';
import { benchText, filler, parseBenchText, type MsgLite } from './frame-parse.js';
import { driveWindow } from './open-loop.js';
import { bookReply } from './replies.js';
import { openConn, type Conn } from './transports.js';
import type { FanoutConfig, GenResult } from './types.js';

/**
 * Group fan-out generator (child process): every member of one group is
 * connected here; the first `senders` members send group messages (closed
 * loop with a window, or open loop at a fixed rate). Each message should
 * reach every other member once, in seq order. Latency is recorded per
 * delivery and, separately, to the last of the recipients.
 */
interface Sender { idx: number; conn: Conn; sent: number; acked: number; errors: number; sendTimes: Map<number, number>; got: number[] }

let cfg: FanoutConfig;
const senders: Sender[] = [];
const senderIdx = new Map<string, number>();
let receivers: Conn[] = [];
let lastSeqOf: Int32Array;
let lastNOf: Int32Array;
const e2e = newHist();
const lastH = newHist();
const ackH = newHist();
const lag = newHist();
const errors: Record<string, number> = {};
let expected = 0;
let orderViolations = 0;
let delivered = 0;
let ackedWin = 0;
let deliveredWin = 0;
let mStart = Infinity;
let mEnd = Infinity;
let sending = false;
let fill = 'x';

function send(s: Sender, tUs: number): void {
  const n = ++s.sent;
  s.sendTimes.set(n, tUs);
  const f: SendFrame = {
    op: 'send', id: n, cmid: `${cfg.runTag}.${s.idx}.${n}`, conv_type: 'group', to: cfg.group_id,
    type: 'text', content: { text: benchText(n, tUs, fill) },
  };
  s.conn.send(f);
}

function onReply(s: Sender, f: OkFrame | ErrorFrame): void {
  const now = nowUs();
  const sentAt = bookReply(s, f, errors);
  if (f.op === 'ok' && now >= mStart && now < mEnd) {
    ackedWin++;
    if (sentAt !== undefined) record(ackH, now - sentAt);
  }
  if (cfg.mode === 'closed' && sending) send(s, nowUs());
}

function onMsg(r: number, m: MsgLite): void {
  const now = nowUs();
  const si = senderIdx.get(m.sender);
  const b = parseBenchText(m.text);
  if (si === undefined || !b) return;
  delivered++;
  if (m.seq <= lastSeqOf[r]) orderViolations++;
  lastSeqOf[r] = m.seq;
  const k = r * senders.length + si;
  if (b.n !== lastNOf[k] + 1) orderViolations++;
  lastNOf[k] = b.n;
  const inWindow = b.tUs >= mStart && b.tUs < mEnd;
  if (inWindow) record(e2e, now - b.tUs);
  if (now >= mStart && now < mEnd) deliveredWin++;
  const got = senders[si].got;
  got[b.n] = (got[b.n] ?? 0) + 1;
  if (got[b.n] === expected && inWindow) record(lastH, now - b.tUs);
}

async function connect(): Promise<void> {
  fill = filler(cfg.textBytes);
  expected = cfg.members.length - 1;
  lastSeqOf = new Int32Array(cfg.members.length);
  lastNOf = new Int32Array(cfg.members.length * cfg.senders);
  for (let i = 0; i < cfg.senders; i++) senderIdx.set(cfg.members[i].user, i);
  receivers = await pool(cfg.members, 50, (c, r) => {
    const si = r < cfg.senders ? r : -1;
    return openConn(cfg.transport, cfg.url, c, {
      onMsg: (m) => onMsg(r, m),
      onReply: (f) => { if (si >= 0) onReply(senders[si], f); },
    });
  });
  for (let i = 0; i < cfg.senders; i++) {
    senders.push({ idx: i, conn: receivers[i], sent: 0, acked: 0, errors: 0, sendTimes: new Map(), got: [] });
  }
}

const outstanding = () => senders.reduce((a, s) => a + s.sent - s.acked - s.errors, 0);
const ackedTotal = () => senders.reduce((a, s) => a + s.acked, 0);

async function run(): Promise<GenResult> {
  const t0 = nowUs();
  mStart = t0 + cfg.warmupMs * 1000;
  mEnd = mStart + cfg.durationMs * 1000;
  sending = true;
  const { overloaded, clientCpuS } = await driveWindow({
    mode: cfg.mode, warmupMs: cfg.warmupMs, durationMs: cfg.durationMs, t0, end: mEnd, window: cfg.window,
    rate: cfg.rate, maxOutstanding: Math.max(500, cfg.rate * 2), units: senders, send, outstanding,
    onLag: (us) => record(lag, us), mark: (phase) => reply({ type: 'mark', phase }),
  });
  if (overloaded) mEnd = Math.min(mEnd, nowUs());
  sending = false;
  const drainEnd = Date.now() + cfg.drainMs;
  while ((outstanding() > 0 || delivered < ackedTotal() * expected) && Date.now() < drainEnd) await sleep(20);
  const acked = ackedTotal();
  return {
    window_s: Math.max(0.001, (Math.min(mEnd, nowUs()) - mStart) / 1e6),
    acked_in_window: ackedWin, delivered_in_window: deliveredWin,
    e2e_hist: encodeHist(e2e), ack_hist: encodeHist(ackH), lag_hist: encodeHist(lag), last_hist: encodeHist(lastH),
    sent: senders.reduce((a, s) => a + s.sent, 0), acked, delivered, errors, order_violations: orderViolations,
    convs: [{ conv_id: groupConvId(cfg.group_id), acked }],
    overloaded, drained: outstanding() === 0 && delivered === acked * expected,
    client_cpu_s: clientCpuS(),
  };
}

childMain(async (m: ChildMsg) => {
  if (m.type === 'config') {
    cfg = m.cfg as FanoutConfig;
    await connect();
    reply({ type: 'ready' });
  } else if (m.type === 'start') {
    const result = await run();
    reply({ type: 'result', result });
    for (const c of receivers) c.close();
  }
});
