import type { ErrorFrame, HistoryResult, OkFrame, SearchResult } from '@parley/protocol';
import { childMain, reply, type ChildMsg } from '../lib/child.js';
import { encodeHist, newHist, record } from '../lib/hist.js';
import { nowUs } from '../lib/clock.js';
import { openConn, type Conn } from './transports.js';
import type { QueryConfig } from './types.js';

/**
 * Read-path generator (child process): one request at a time (a latency
 * measurement, not a throughput one), rotating over users and their
 * conversations. History answers are checked: `limit` messages of the
 * conversation, newest first, seqs consecutive. Search answers are checked:
 * every hit is in one of the caller's conversations.
 */
let cfg: QueryConfig;
const conns: Conn[] = [];
const waiting = new Map<string, (f: OkFrame | ErrorFrame) => void>();
let reqs = 0;

function wsRequest(conn: Conn, frame: Record<string, unknown>): Promise<OkFrame | ErrorFrame> {
  const id = `q${++reqs}`;
  return new Promise((resolve) => {
    waiting.set(id, resolve);
    conn.send({ ...frame, id } as never);
  });
}

function checkHistory(conv: string, r: HistoryResult): string | null {
  const ms = r.messages;
  if (ms.length !== cfg.limit) return `history ${conv}: ${ms.length} messages, expected ${cfg.limit}`;
  for (let i = 0; i < ms.length; i++) {
    if (ms[i].conv_id !== conv) return `history ${conv}: message of ${ms[i].conv_id}`;
    if (i > 0 && ms[i].seq !== ms[i - 1].seq - 1) return `history ${conv}: seq ${ms[i].seq} after ${ms[i - 1].seq}`;
  }
  return null;
}

async function run(): Promise<Record<string, unknown>> {
  const h = newHist();
  const problems: string[] = [];
  let done = 0;
  let failed = 0;
  let items = 0;
  const t0 = performance.now();
  let tMeasured = t0;
  // the first requests pay for JIT and cold pages on both sides: run them, don't record them
  const warm = Math.min(100, Math.floor(cfg.count / 10));
  for (let i = -warm; i < cfg.count && performance.now() - t0 < cfg.deadlineMs; i++) {
    if (i === 0) tMeasured = performance.now();
    const rec = (us: number) => { if (i >= 0) record(h, us); };
    const j = i + warm;
    const u = j % cfg.users.length;
    const user = cfg.users[u];
    const conv = user.convs[Math.floor(j / cfg.users.length) % user.convs.length];
    const q = cfg.queries[j % Math.max(1, cfg.queries.length)];
    const t = nowUs();
    let problem: string | null = null;
    if (cfg.kind === 'http-history') {
      const res = await fetch(`${cfg.httpUrl}/v1/conversations/${encodeURIComponent(conv)}/messages?limit=${cfg.limit}`,
        { headers: { authorization: `Bearer ${user.creds.token}` } });
      const body = await res.json() as HistoryResult;
      rec(nowUs() - t);
      problem = res.ok ? checkHistory(conv, body) : `HTTP ${res.status}: ${JSON.stringify(body).slice(0, 200)}`;
      if (res.ok && i >= 0) items += body.messages.length;
    } else {
      const frame = cfg.kind === 'ws-history'
        ? { op: 'history', conv_id: conv, limit: cfg.limit }
        : { op: 'search', q, limit: cfg.limit };
      const f = await wsRequest(conns[u], frame);
      rec(nowUs() - t);
      if (f.op === 'error') problem = `${f.code}: ${f.message}`;
      else if (cfg.kind === 'ws-history') {
        problem = checkHistory(conv, f.data as HistoryResult);
        if (i >= 0) items += (f.data as HistoryResult).messages.length;
      } else {
        const hits = (f.data as SearchResult).hits;
        if (i >= 0) items += hits.length;
        const own = new Set(user.convs);
        const stray = hits.find((m) => !own.has(m.conv_id));
        const unrelated = hits.find((m) => !String((m.content as { text?: string }).text ?? '').toLowerCase().includes(q.toLowerCase()));
        if (stray) problem = `search "${q}": hit in ${stray.conv_id}, not a conversation of ${user.creds.user}`;
        else if (unrelated) problem = `search "${q}": hit ${unrelated.conv_id}#${unrelated.seq} does not contain it`;
      }
    }
    if (problem && problems.length < 5) problems.push(problem);
    if (problem) { failed++; continue; }
    if (i >= 0) done++;
  }
  return { hist: encodeHist(h), ok: done, failed, problems, items, elapsed_s: (performance.now() - tMeasured) / 1000 };
}

childMain(async (m: ChildMsg) => {
  if (m.type === 'config') {
    cfg = m.cfg as QueryConfig;
    if (cfg.kind !== 'http-history') {
      for (const u of cfg.users) {
        conns.push(await openConn('ws', cfg.wsUrl, u.creds, {
          onMsg: () => {},
          onReply: (f) => { const r = waiting.get(String(f.id)); waiting.delete(String(f.id)); r?.(f); },
        }));
      }
    }
    reply({ type: 'ready' });
  } else if (m.type === 'start') {
    reply({ type: 'result', result: await run() });
    for (const c of conns) c.close();
  }
});
