import { childMain, reply, type ChildMsg } from '../lib/child.js';
import { sleep } from '../lib/clock.js';
import { openConn, type Conn } from './transports.js';
import type { ConnConfig } from './types.js';

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
      try {
        const conn = await openConn('ws', cfg.url, c, {
          onMsg: () => {}, onReply: () => {},
          onClose: () => { if (up) closedLater++; },
        }, { localAddress: cfg.localAddress, timeoutMs: 10000 });
        up = true;
        conns.push(conn);
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
  } else if (m.type === 'close') {
    for (const c of conns) c.close();
    reply({ type: 'closed' });
  }
});
