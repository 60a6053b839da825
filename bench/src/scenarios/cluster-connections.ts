import { groupConvId, PLATFORMS } from '@parley/protocol';
import { Child } from '../lib/child.js';
import { sleep } from '../lib/clock.js';
import { progress } from '../lib/log.js';
import { memOf, round, rssBytes } from '../lib/proc.js';
import type { Creds } from '../gen/transports.js';
import type { ConnConfig, Received } from '../gen/types.js';
import type { Row } from '../report/types.js';
import type { Ctx } from './context.js';
import { startBenchCluster } from './cluster-context.js';

/**
 * Issue 9 item 12, connections at scale: several link processes of one
 * cluster hold idle authenticated WebSocket connections together (scenario
 * 4 across processes). One process holds at most about 20,000 descriptors
 * here, so the connections are spread over `links` link processes, each fed
 * by its own generator process from its own 127.0.0.x source address. Each
 * user logs in on all five platforms, its connections spread over the links.
 * RSS per connection is measured per link (its RSS growth ÷ the connections
 * it holds). Then one text to a group of `groupMembers` users, sent through
 * the api's HTTP route, must reach every held connection of every member
 * other than the sender, once.
 */
export async function clusterConnections(ctx: Ctx): Promise<Row[]> {
  const name = 'C2 cluster idle connections';
  const s = ctx.args.sizes;
  const nLinks = s.clusterLinks;
  const c = await startBenchCluster(name, {
    links: nLinks, dispatchers: 2, transport: 'tcp', extraArgs: ['--heartbeat-ms', '600000', '--auth-timeout-ms', '120000'],
  });
  const gens: Child[] = [];
  try {
    const users = Math.ceil(s.clusterConnections / PLATFORMS.length);
    progress(`${name}: creating ${users} users with tokens`);
    const ids = Array.from({ length: users }, (_, i) => `k${ctx.runTag}u${i}`);
    const t0 = performance.now();
    const creds = await c.admin.users(ids, { concurrency: 32 });
    progress(`${name}: ${users} users in ${round((performance.now() - t0) / 1000, 1)} s`);
    const members = ids.slice(0, Math.min(s.groupMembers, ids.length));
    const groupId = `k${ctx.runTag}g`;
    await c.admin.createGroup(groupId, members[0]!, members.slice(1));

    const all: Creds[] = [];
    for (const p of PLATFORMS) for (const cr of creds) all.push({ ...cr, platform: p });
    all.length = s.clusterConnections;
    await sleep(1000);
    const rss0 = c.links.map((l) => rssBytes(l.proc.pid!));
    const per = Math.ceil(all.length / nLinks);
    for (let i = 0; i < nLinks; i++) {
      const g = new Child('gen/conn-gen.ts');
      gens.push(g);
      const cfg: ConnConfig = {
        url: c.wsUrls[i]!, creds: all.slice(i * per, (i + 1) * per), localAddress: `127.0.0.${10 + i}`,
        concurrency: 32, deadlineMs: s.clusterConnDeadlineMs, maxConsecutiveFailures: 50,
      };
      g.send({ type: 'config', cfg });
      await g.waitFor('ready', 60_000);
    }
    progress(`${name}: opening ${all.length} connections, ${per} per link, from ${nLinks} generator processes`);
    const counts = new Map<Child, number>();
    for (const g of gens) g.on('progress', (m) => counts.set(g, Number(m.open)));
    const tick = setInterval(() => {
      const open = [...counts.values()].reduce((a, b) => a + b, 0);
      progress(`${name}: ${open} open; link RSS ${c.links.map((l) => memOf(l.proc.pid!).rss_mb).join(' / ')} MB`);
    }, 10_000);
    const opened = await Promise.all(gens.map((g) => {
      g.send({ type: 'open' });
      return g.waitFor<{ open: number; failed: number; elapsed_s: number; failures: Record<string, number> }>('opened', s.clusterConnDeadlineMs + 120_000);
    })).finally(() => clearInterval(tick));
    await sleep(3000);
    const checked = await Promise.all(gens.map((g) => { g.send({ type: 'check' }); return g.waitFor<{ open: number; closed_later: number }>('checked', 60_000); }));
    const rss1 = c.links.map((l) => rssBytes(l.proc.pid!));
    const held = checked.map((x) => x.open);
    const total = held.reduce((a, b) => a + b, 0);
    const perLink = held.map((h, i) => (h > 0 ? round((rss1[i]! - rss0[i]!) / h / 1024, 1) : NaN));
    const failures: Record<string, number> = {};
    for (const o of opened) for (const [k, v] of Object.entries(o.failures)) failures[k] = (failures[k] ?? 0) + v;
    const failed = opened.reduce((a, o) => a + o.failed, 0);
    const elapsed = Math.max(...opened.map((o) => o.elapsed_s));
    progress(`${name}: held ${total}/${all.length} (${held.join(' / ')}), KiB per connection per link ${perLink.join(' / ')}, ${failed} failed ${JSON.stringify(failures)}`);

    // one message to the group: every held connection of every other member gets it, once
    const convId = groupConvId(groupId);
    const watched = members.slice(1);
    await Promise.all(gens.map((g) => { g.send({ type: 'watch', watch: { conv_id: convId, members: watched } }); return g.waitFor('watching', 30_000); }));
    const sentAt = performance.now();
    await c.admin.sendText(members[0]!, 'group', groupId, 'hello, everyone online', `k${ctx.runTag}m1`);
    let got: Received = { expected: 0, got: 0, duplicates: 0 };
    for (let i = 0; i < 600; i++) {
      const rs = await Promise.all(gens.map((g) => { g.send({ type: 'received' }); return g.waitFor<Received>('received', 30_000); }));
      got = rs.reduce((a, r) => ({ expected: a.expected + r.expected, got: a.got + r.got, duplicates: a.duplicates + r.duplicates }), { expected: 0, got: 0, duplicates: 0 });
      if (got.got >= got.expected || performance.now() - sentAt > 60_000) break;
      await sleep(100);
    }
    const deliveredMs = round(performance.now() - sentAt);
    const groupOk = got.expected > 0 && got.got === got.expected && got.duplicates === 0;
    const maxKib = Math.max(...perLink.filter((x) => !Number.isNaN(x)));
    const ok = total === all.length && groupOk && maxKib <= 8;
    progress(`${name}: group of ${members.length}: ${got.got}/${got.expected} member connections got the message (${got.duplicates} twice) within ${deliveredMs} ms`);
    const row: Row = {
      id: 'cluster-connections', scenario: name, system: `Parley cluster, ${nLinks} links + 2 dispatchers + 1 api`, role: 'parley',
      sends_per_s: null, deliveries_per_s: null, p50_ms: null, p99_ms: null, p999_ms: null, cpu_s_per_1k: null,
      server_rss_mb: round(rss1.reduce((a, b) => a + b, 0) / 2 ** 20, 1), correctness: null,
      extra: {
        connections: total, attempted: all.length, failed, links: nLinks,
        held_per_link: held.join(' / '), rss_per_conn_kib_per_link: perLink.join(' / '), rss_per_conn_kib: maxKib,
        link_rss_mb: rss1.map((r) => round(r / 2 ** 20, 1)).join(' / '), connect_per_s: round(total / elapsed), closed_by_server: checked.reduce((a, x) => a + x.closed_later, 0),
        group_members: members.length, group_expected_conns: got.expected, group_delivered_conns: got.got, group_duplicates: got.duplicates, group_delivered_within_ms: deliveredMs,
        check: `${ok ? '✅' : '❌'} held ${total} of ${all.length}; worst link ${maxKib} KiB per connection (≤ 8); group message reached ${got.got} of ${got.expected} member connections${got.duplicates ? `, ${got.duplicates} twice` : ''}${failed ? `; ${failed} refused (${Object.entries(failures).map(([k, v]) => `${k}×${v}`).join('; ')})` : ''}`,
      },
    };
    for (const g of gens) { g.send({ type: 'close' }); await g.waitFor('closed', 60_000).catch(() => undefined); }
    return [row];
  } finally {
    for (const g of gens) await g.stop();
    await c.stop();
  }
}
