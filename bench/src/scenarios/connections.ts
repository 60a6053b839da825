import { readdirSync, readFileSync } from 'node:fs';
import { PLATFORMS } from '@parley/protocol';
import { Child } from '../lib/child.js';
import { sleep } from '../lib/clock.js';
import { progress } from '../lib/log.js';
import { memOf, round, rssBytes } from '../lib/proc.js';
import type { Creds } from '../gen/transports.js';
import type { ConnConfig } from '../gen/types.js';
import type { Row } from '../report/types.js';
import { parley, type Ctx } from './context.js';

/**
 * Scenario 4: idle authenticated WebSocket connections held by one server
 * process. Each user logs in on all five platforms (one connection per
 * platform is the default policy), so N connections need N/5 users and
 * tokens. Several generator processes connect from their own 127.0.0.x
 * addresses; the server's own descriptor limit (about 20,000 here) is what
 * ends the climb. Heartbeats are stretched so the connections stay truly
 * idle for the measurement; RSS per connection is the growth of the
 * server's RSS divided by the connections it holds.
 */
const fdCount = (pid: number) => readdirSync(`/proc/${pid}/fd`).length;
const fdLimit = (pid: number) => Number(/^Max open files\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'))?.[1] ?? Infinity);

export async function connections(ctx: Ctx): Promise<Row[]> {
  const name = '4 idle connections';
  const s = ctx.args.sizes;
  const server = await parley(ctx, name, ['--heartbeat-ms', '600000', '--auth-timeout-ms', '60000']);
  const gens: Child[] = [];
  try {
    const users = Math.ceil(s.connections / PLATFORMS.length);
    progress(`${name}: creating ${users} users with tokens (${PLATFORMS.length} platforms each)`);
    const ids = Array.from({ length: users }, (_, i) => `c${ctx.runTag}u${i}`);
    const creds = await server.admin.users(ids, { concurrency: 32 });
    const all: Creds[] = [];
    for (const p of PLATFORMS) for (const c of creds) all.push({ ...c, platform: p });
    all.length = s.connections;

    await sleep(500);
    const rss0 = rssBytes(server.pid);
    const fd0 = fdCount(server.pid);
    progress(`${name}: server RSS ${round(rss0 / 2 ** 20, 1)} MB and ${fd0} fds before; opening ${s.connections} connections from ${s.connProcs} processes`);
    const per = Math.ceil(all.length / s.connProcs);
    for (let i = 0; i < s.connProcs; i++) {
      const g = new Child('gen/conn-gen.ts');
      gens.push(g);
      const cfg: ConnConfig = {
        url: server.wsUrl, creds: all.slice(i * per, (i + 1) * per), localAddress: `127.0.0.${10 + i}`,
        concurrency: 32, deadlineMs: s.connDeadlineMs, maxConsecutiveFailures: 50,
      };
      g.send({ type: 'config', cfg });
      await g.waitFor('ready', 30_000);
    }
    const counts = new Map<Child, number>();
    const tick = setInterval(() => {
      const open = [...counts.values()].reduce((a, b) => a + b, 0);
      progress(`${name}: ${open} open, server ${fdCount(server.pid)} fds, RSS ${memOf(server.pid).rss_mb} MB`);
    }, 5000);
    for (const g of gens) g.on('progress', (m) => counts.set(g, Number(m.open)));
    const opened = await Promise.all(gens.map((g) => {
      g.send({ type: 'open' });
      return g.waitFor<{ open: number; failed: number; elapsed_s: number; failures: Record<string, number> }>('opened', s.connDeadlineMs + 60_000);
    }));
    clearInterval(tick);
    await sleep(3000);
    const checked = await Promise.all(gens.map((g) => { g.send({ type: 'check' }); return g.waitFor<{ open: number; closed_later: number }>('checked', 30_000); }));
    const closedLater = checked.reduce((a, c) => a + c.closed_later, 0);
    const held = checked.reduce((a, c) => a + c.open, 0);
    const rss1 = rssBytes(server.pid);
    const fd1 = fdCount(server.pid);
    const failed = opened.reduce((a, o) => a + o.failed, 0);
    const elapsed = Math.max(...opened.map((o) => o.elapsed_s));
    const failures: Record<string, number> = {};
    for (const o of opened) for (const [k, v] of Object.entries(o.failures)) failures[k] = (failures[k] ?? 0) + v;
    const opened_ok = opened.reduce((a, o) => a + o.open, 0);
    // refusals are expected only once the server has used up its descriptors
    const atLimit = fd1 >= fdLimit(server.pid) - 100;
    const good = held === opened_ok && (failed === 0 || atLimit);
    const perConn = held > 0 ? round((rss1 - rss0) / held / 1024, 1) : NaN;
    const connectRate = round(opened_ok / elapsed);
    const row: Row = {
      id: 'connections', scenario: name, system: 'Parley, one process', role: 'parley',
      sends_per_s: null, deliveries_per_s: null, p50_ms: null, p99_ms: null, p999_ms: null, cpu_s_per_1k: null,
      server_rss_mb: round(rss1 / 2 ** 20, 1), correctness: null,
      extra: {
        connections: held, attempted: all.length, failed, rss_per_conn_kib: perConn, connect_per_s: connectRate,
        closed_by_server: closedLater, server_fds: fd1, rss_before_mb: round(rss0 / 2 ** 20, 1),
        check: `${good ? '✅' : '❌'} held ${held} of ${all.length} attempted${atLimit ? `, server at its descriptor limit (${fdLimit(server.pid)})` : ''}; ${failed} refused${Object.keys(failures).length ? ` (${Object.entries(failures).map(([k, v]) => `${k}×${v}`).join('; ')})` : ''}`,
      },
    };
    progress(`${name}: held ${held}/${all.length}, ${perConn} KiB RSS per connection, ${connectRate} connects/s, server fds ${fd0}→${fd1}, failures ${JSON.stringify(failures)}`);
    for (const g of gens) { g.send({ type: 'close' }); await g.waitFor('closed', 30_000).catch(() => undefined); }
    return [row];
  } finally {
    for (const g of gens) await g.stop();
    await server.stop();
  }
}
