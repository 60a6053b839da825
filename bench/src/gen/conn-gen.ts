import { childMain, reply, type ChildMsg } from '../lib/child.js';
import { sleep } from '../lib/clock.js';
import { openConn, type Conn } from './transports.js';
import type { ConnConfig, Received, WatchConfig } from './types.js';

/**
 * Idle-connection generator (child process): opens authenticated WebSocket
 * connections from its own 127.0.0.x source address (each source address has
 * its own ephemeral port range), `concurrency` handshakes in flight, until it
 * has them all, the deadline passes, or the server keeps refusing (it is out
 * of file descriptors). Then it holds them, idle, until told to close.
 */
let cfg: ConnConfig;
const conns: Conn[] = [];
let open = 0;
let failed = 0;
let closedLater = 0;
const failures: Record<string, number> = {};
/** held connections by user (for `watch`), and per connection how often the watched conversation reached it */
const byUser = new Map<string, Conn[]>();
const closedConns = new Set<Conn>();
const gotWatched = new Map<Conn, number>();
let watch: { conv_id: string; members: Set<string> } | undefined;

function received(): Received {
  let expected = 0;
  let got = 0;
  let duplicates = 0;
  for (const u of watch?.members ?? []) {
    for (const c of byUser.get(u) ?? []) {
      if (closedConns.has(c)) continue;
      expected++;
      const n = gotWatched.get(c) ?? 0;
      if (n > 0) got++;
      if (n > 1) duplicates++;
    }
  }
  return { expected, got, duplicates };
}

async function openAll(): Promise<{ open: number; failed: number; elapsed_s: number; failures: Record<string, number> }> {
  const t0 = performance.now();
  let next = 0;
  let consecutive = 0;
  let stop = false;
  const progress = setInterval(() => reply({ type: 'progress', open, failed }), 1000);
  const worker = async () => {
    while (!stop && next < cfg.creds.length) {
      if (performance.now() - t0 > cfg.deadlineMs) { stop = true; break; }
      const c = cfg.creds[next++];
      // only a connection that was up counts as closed later (a refused one also emits close)
      let up = false;
      let self: Conn | undefined;
      try {
        const conn: Conn = await openConn('ws', cfg.url, c, {
          onMsg: (m) => { if (self && watch && m.conv_id === watch.conv_id) gotWatched.set(self, (gotWatched.get(self) ?? 0) + 1); },
          onReply: () => {},
          onClose: () => { if (up) { closedLater++; if (self) closedConns.add(self); } },
        }, { localAddress: cfg.localAddress, timeoutMs: 10000 });
        up = true;
        self = conn;
        conns.push(conn);
        const mine = byUser.get(c.user);
        if (mine) mine.push(conn);
        else byUser.set(c.user, [conn]);
        open++;
        consecutive = 0;
      } catch (err) {
        failed++;
        const key = String((err as Error).message).replace(/\d+/g, 'N').slice(0, 80);
        failures[key] = (failures[key] ?? 0) + 1;
        if (++consecutive >= cfg.maxConsecutiveFailures) stop = true;
        else await sleep(20);
      }
    }
  };
  await Promise.all(Array.from({ length: cfg.concurrency }, worker));
  clearInterval(progress);
  return { open, failed, elapsed_s: (performance.now() - t0) / 1000, failures };
}

childMain(async (m: ChildMsg) => {
  if (m.type === 'config') {
    cfg = m.cfg as ConnConfig;
    reply({ type: 'ready' });
  } else if (m.type === 'open') {
    reply({ type: 'opened', ...(await openAll()) });
  } else if (m.type === 'check') {
    // connections the server closed after accepting them (e.g. heartbeat, or a kick)
    reply({ type: 'checked', open: open - closedLater, closed_later: closedLater });
  } else if (m.type === 'watch') {
    const w = m.watch as WatchConfig;
    watch = { conv_id: w.conv_id, members: new Set(w.members) };
    gotWatched.clear();
    reply({ type: 'watching' });
  } else if (m.type === 'received') {
    reply({ type: 'received', ...received() });
  } else if (m.type === 'close') {
    for (const c of conns) c.close();
    reply({ type: 'closed' });
  }
});
