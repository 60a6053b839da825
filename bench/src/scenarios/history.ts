import { statSync } from 'node:fs';
import { join } from 'node:path';
import { Child } from '../lib/child.js';
import { decodeHist, latencyOf } from '../lib/hist.js';
import { progress } from '../lib/log.js';
import { memOf, round } from '../lib/proc.js';
import { startParley, type ParleyServer } from '../lib/parley-server.js';
import type { QueryConfig } from '../gen/types.js';
import type { Row } from '../report/types.js';
import { convsOfUser, SEARCH_QUERIES, userId } from '../seed/corpus.js';
import type { SeedConfig } from '../seed/seed-child.js';
import { startPlain, type Ctx } from './context.js';

/**
 * Scenarios 5 and 6 share one data set: `historyConvs` single chats of
 * `historyPerConv` messages each (1,000,000 in full mode), Chinese and
 * English text. Seeding goes through Parley's HTTP API only: the users
 * through the admin routes, the messages through the diagnostics import
 * route in 20,000-message transactions (far faster than sending them one by
 * one at the measured send rate), then a wait for the full-text index.
 */
async function seeded(ctx: Ctx): Promise<{ server: ParleyServer; seededBy: string; messages: number }> {
  const s = ctx.args.sizes;
  const server = await startParley({ fromSource: ctx.args.fromSource, profileDir: ctx.args.profile && ctx.profileDir ? join(ctx.profileDir, '5-history-search') : undefined });
  const seeder = new Child('seed/seed-child.ts');
  try {
    const total = s.historyConvs * s.historyPerConv;
    progress(`5 history: seeding ${total.toLocaleString('en-US')} messages in ${s.historyConvs} conversations of ${s.historyUsers} users`);
    seeder.on('progress', (m) => progress(`5 history: seeded ${Number(m.messages).toLocaleString('en-US')} (${round(Number(m.seconds))} s)`));
    const cfg: SeedConfig = { httpUrl: server.httpUrl, apiKey: server.apiKey, users: s.historyUsers, convs: s.historyConvs, perConv: s.historyPerConv, batch: 20_000 };
    seeder.send({ type: 'seed', cfg });
    const done = await seeder.waitFor<{ messages: number; seconds: number }>('seeded', 1_800_000);
    const mb = round(statSync(join(server.dataDir, 'parley.db')).size / 2 ** 20);
    const seededBy = `HTTP: POST /v1/admin/diagnostics/import, 20k-message transactions, ${round(done.seconds, 1)} s, ${mb} MB file`;
    progress(`5 history: ${seededBy}`);
    return { server, seededBy, messages: done.messages };
  } catch (err) {
    await server.stop();
    throw err;
  } finally {
    await seeder.stop();
  }
}

export async function query(server: Pick<QueryConfig, 'wsUrl' | 'httpUrl'>, cfg: Omit<QueryConfig, 'wsUrl' | 'httpUrl'>): Promise<{ hist: string; ok: number; failed: number; problems: string[]; items: number; elapsed_s: number }> {
  const gen = new Child('gen/query-gen.ts');
  try {
    gen.send({ type: 'config', cfg: { ...cfg, wsUrl: server.wsUrl, httpUrl: server.httpUrl } });
    await gen.waitFor('ready', 60_000);
    gen.send({ type: 'start' });
    const { result } = await gen.waitFor<{ result: { hist: string; ok: number; failed: number; problems: string[]; items: number; elapsed_s: number } }>('result', cfg.deadlineMs + 60_000);
    return result;
  } finally {
    await gen.stop();
  }
}

export function readRow(id: string, scenario: string, system: string, pid: number, r: Awaited<ReturnType<typeof query>>, extra: Row['extra']): Row {
  const lat = latencyOf(decodeHist(r.hist));
  const n = r.ok + r.failed;
  return {
    id, scenario, system, role: 'parley', sends_per_s: null, deliveries_per_s: null,
    p50_ms: lat.p50_ms, p99_ms: lat.p99_ms, p999_ms: lat.p999_ms, cpu_s_per_1k: null,
    server_rss_mb: memOf(pid).rss_mb, correctness: null,
    extra: {
      ...extra, queries: n, queries_per_s: round(n / r.elapsed_s), items_avg: round(r.items / Math.max(1, r.ok), 1),
      check: `${r.failed === 0 ? '✅' : '❌'} ${r.ok}/${n} answers checked${r.problems.length ? `: ${r.problems.join(' | ')}` : ''}`,
    },
  };
}

export async function historyAndSearch(ctx: Ctx, want: { history: boolean; search: boolean }): Promise<Row[]> {
  const s = ctx.args.sizes;
  const { server, seededBy, messages } = await seeded(ctx);
  const rows: Row[] = [];
  try {
    const nUsers = Math.min(50, s.historyUsers);
    const step = Math.floor(s.historyUsers / nUsers);
    const ids = Array.from({ length: nUsers }, (_, i) => i * step);
    const creds = await server.admin.users(ids.map(userId), { exist: true });
    const users = ids.map((u, i) => ({ creds: creds[i], convs: convsOfUser(u, s.historyUsers, s.historyConvs) }));
    const base = { users, queries: [], count: s.queries, limit: 50, deadlineMs: 60_000 };
    const extra = { messages, seeded_by: seededBy };
    if (want.history) {
      // the ceilings read the same file; their token is the user id
      const bareUsers = users.map((u) => ({ ...u, creds: { user: u.creds.user, token: u.creds.user } }));
      const dbPath = join(server.dataDir, 'parley.db');
      const kinds = [
        ['ws-history', 'history-ws', 'WebSocket `history`', 'ws'], ['http-history', 'history-http', 'HTTP GET …/messages', 'fastify'],
      ] as const;
      for (const [kind, id, label, bareKind] of kinds) {
        progress(`5 history: ${s.queries} × newest 50 over ${label}`);
        const r = await query(server, { ...base, kind });
        rows.push(readRow(id, '5 history (newest 50)', `Parley, ${label}`, server.pid, r, extra));
        progress(`5 history: ${label}: p50 ${rows.at(-1)!.p50_ms} ms, p99 ${rows.at(-1)!.p99_ms} ms, ${rows.at(-1)!.extra.check}`);
        const bare = await startPlain('servers/bare-history.ts', [bareKind, dbPath]);
        try {
          const urls = bareKind === 'ws' ? { wsUrl: bare.url, httpUrl: '' } : { wsUrl: '', httpUrl: bare.url };
          const b = await query(urls, { ...base, users: bareUsers, kind });
          const system = bareKind === 'ws' ? 'bare ws endpoint (ceiling), same SQLite file' : 'bare Fastify endpoint (ceiling), same SQLite file';
          rows.push({ ...readRow(`${id}-bare`, '5 history (newest 50)', system, bare.pid, b, extra), role: 'ceiling' });
          progress(`5 history: ${system}: p50 ${rows.at(-1)!.p50_ms} ms, p99 ${rows.at(-1)!.p99_ms} ms, ${rows.at(-1)!.extra.check}`);
        } finally {
          await bare.stop();
        }
      }
    }
    if (want.search) {
      const sets = [
        ['search', 'English words (trigram index)', SEARCH_QUERIES.en],
        ['search-zh3', 'Chinese 3-char words (trigram index)', SEARCH_QUERIES.zh3],
        ['search-zh2', 'Chinese 2-char words (scan of own conversations)', SEARCH_QUERIES.zh2],
      ] as const;
      for (const [id, label, queries] of sets) {
        progress(`6 search: ${label}: ${queries.join(' ')}`);
        const r = await query(server, { ...base, kind: 'ws-search', queries: [...queries], count: Math.ceil(s.queries / 3), limit: 20, deadlineMs: 45_000 });
        rows.push(readRow(id, '6 search (limit 20)', `Parley, ${label}`, server.pid, r, { messages }));
        progress(`6 search: ${label}: p50 ${rows.at(-1)!.p50_ms} ms, p99 ${rows.at(-1)!.p99_ms} ms, ${rows.at(-1)!.extra.check}`);
      }
    }
    return rows;
  } finally {
    await server.stop();
  }
}
