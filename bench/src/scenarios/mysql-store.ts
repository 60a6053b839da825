import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMariaDbPair, type MariaDbPair } from '../../../packages/server/test/helpers/mariadb-harness.js';
import type { Args } from '../args.js';
import { Child } from '../lib/child.js';
import { progress } from '../lib/log.js';
import { round } from '../lib/proc.js';
import { startParley, type ParleyServer } from '../lib/parley-server.js';
import type { Row, RunReport } from '../report/types.js';
import { convsOfUser, SEARCH_QUERIES, userId } from '../seed/corpus.js';
import type { MysqlSeedConfig } from '../seed/seed-mysql-child.js';
import { drivePairs } from './drive.js';
import { query, readRow } from './history.js';
import { makeUsers, pairsOf, parleyTarget, summary, type Ctx } from './context.js';

/**
 * `--store mysql`: the 1:1 throughput, history and search scenarios once
 * more with Parley on MariaDB (a primary and a GTID replica started the way
 * the tests start them: packages/server/test/helpers/mariadb-harness.ts),
 * added to the report beside the SQLite rows of the same run. Writes go to
 * the primary; history pages and search to the replica.
 */
export function takeStoreFlag(argv: string[]): { store: 'sqlite' | 'mysql'; rest: string[] } {
  const rest: string[] = [];
  let store: 'sqlite' | 'mysql' = 'sqlite';
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--store') {
      const v = argv[++i];
      if (v !== 'mysql' && v !== 'sqlite') throw new Error(`--store must be sqlite or mysql, got ${v}`);
      store = v;
    } else rest.push(argv[i]!);
  }
  return { store, rest };
}

const mysqlArgs = (db: { primaryUrl: string; replicaUrl: string }) =>
  ['--store', 'mysql', '--mysql-primary', db.primaryUrl, '--mysql-replica', db.replicaUrl];

/** Count the bench texts stored per conversation on the primary (the "stored" leg of the correctness line). */
async function storedOnPrimary(pair: MariaDbPair, dbName: string, convIds: readonly string[], runTag: string): Promise<number> {
  const c = await pair.primaryRoot();
  try {
    let n = 0;
    for (const conv of convIds) {
      const [[row]] = await c.query(`SELECT COUNT(*) AS n FROM \`${dbName}\`.messages WHERE conv_id = ? AND type = 'text' AND cmid LIKE ?`,
        [conv, `${runTag}.%`]) as unknown as [[{ n: number }]];
      n += Number(row.n);
    }
    return n;
  } finally {
    await c.end();
  }
}

async function throughput(ctx: Ctx, pair: MariaDbPair): Promise<Row> {
  const name = '1 1:1 throughput';
  const s = ctx.args.sizes;
  const db = await pair.createDatabase('parley_bench');
  const server = await startParley({ args: mysqlArgs(db), fromSource: ctx.args.fromSource });
  try {
    const creds = await makeUsers(server, `m${ctx.runTag}u`, s.pairs * 2);
    progress(`${name} (MariaDB): ${s.pairs} pairs × window ${s.window}, ${s.durationMs / 1000} s`);
    const runTag = `${ctx.runTag}my`;
    const { row, result } = await drivePairs(name, { role: 'parley', system: 'Parley on MariaDB (persisted on the primary, acked after commit)', ...parleyTarget(server) }, {
      transport: 'ws', url: server.wsUrl, pairs: pairsOf(creds), mode: 'closed', window: s.window, rate: 0, textBytes: s.textBytes,
      warmupMs: s.warmupMs, durationMs: s.durationMs, drainMs: s.drainMs, runTag,
    });
    const stored = await storedOnPrimary(pair, db.name, result.convs.map((c) => c.conv_id), runTag);
    if (row.correctness) {
      row.correctness.stored = stored;
      row.correctness.ok = row.correctness.ok && stored === row.correctness.acked;
    }
    progress(`${name} (MariaDB): ${summary(row)}`);
    return row;
  } finally {
    await server.stop();
  }
}

async function seeded(ctx: Ctx, pair: MariaDbPair): Promise<{ server: ParleyServer; dataDir: string; messages: number; seededBy: string }> {
  const s = ctx.args.sizes;
  const db = await pair.createDatabase('parley_bench');
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-bench-mysql-'));
  const first = await startParley({ dataDir, args: mysqlArgs(db), fromSource: ctx.args.fromSource });
  await first.stop();
  const app = JSON.parse(readFileSync(join(dataDir, 'default-app.json'), 'utf8')) as { app_id: string };
  const seeder = new Child('seed/seed-mysql-child.ts');
  try {
    const total = s.historyConvs * s.historyPerConv;
    progress(`5 history (MariaDB): seeding ${total.toLocaleString('en-US')} messages`);
    seeder.on('progress', (m) => progress(`5 history (MariaDB): seeded ${Number(m.messages).toLocaleString('en-US')} (${round(Number(m.seconds))} s)`));
    const cfg: MysqlSeedConfig = { primaryUrl: db.primaryUrl, appId: app.app_id, users: s.historyUsers, convs: s.historyConvs, perConv: s.historyPerConv, batch: 2000 };
    seeder.send({ type: 'seed', cfg });
    const done = await seeder.waitFor<{ messages: number; seconds: number }>('seeded', 1_800_000);
    await pair.waitReplicaCaughtUp(600);
    const seededBy = `direct: MysqlStore.commitMessages, 2k-message transactions, ${round(done.seconds, 1)} s; replica caught up before the queries`;
    progress(`5 history (MariaDB): ${seededBy}`);
    const server = await startParley({ dataDir, args: mysqlArgs(db), fromSource: ctx.args.fromSource });
    return { server, dataDir, messages: done.messages, seededBy };
  } finally {
    await seeder.stop();
  }
}

async function historyAndSearch(ctx: Ctx, pair: MariaDbPair, want: { history: boolean; search: boolean }): Promise<Row[]> {
  const s = ctx.args.sizes;
  const { server, dataDir, messages, seededBy } = await seeded(ctx, pair);
  const rows: Row[] = [];
  try {
    const nUsers = Math.min(50, s.historyUsers);
    const step = Math.floor(s.historyUsers / nUsers);
    const ids = Array.from({ length: nUsers }, (_, i) => i * step);
    const creds = await server.admin.users(ids.map(userId), { exist: true });
    const users = ids.map((u, i) => ({ creds: creds[i]!, convs: convsOfUser(u, s.historyUsers, s.historyConvs) }));
    const base = { users, queries: [], count: s.queries, limit: 50, deadlineMs: 60_000 };
    if (want.history) {
      progress(`5 history (MariaDB): ${s.queries} × newest 50 over WebSocket`);
      const r = await query(server, { ...base, kind: 'ws-history' });
      rows.push(readRow('mysql-history-ws', '5 history (newest 50)', 'Parley on MariaDB (replica), WebSocket `history`', server.pid, r, { messages, seeded_by: seededBy }));
      progress(`5 history (MariaDB): p50 ${rows.at(-1)!.p50_ms} ms, p99 ${rows.at(-1)!.p99_ms} ms, ${rows.at(-1)!.extra.check}`);
    }
    if (want.search) {
      // The store picks the plan per query: a scan of the caller's conversations up to 50,000 messages in them, else the FULLTEXT phrase.
      const sets = [
        ['mysql-search', 'English words', SEARCH_QUERIES.en],
        ['mysql-search-zh3', 'Chinese 3-char words', SEARCH_QUERIES.zh3],
        ['mysql-search-zh2', 'Chinese 2-char words', SEARCH_QUERIES.zh2],
      ] as const;
      for (const [id, label, queries] of sets) {
        progress(`6 search (MariaDB): ${label}: ${queries.join(' ')}`);
        const r = await query(server, { ...base, kind: 'ws-search', queries: [...queries], count: Math.ceil(s.queries / 3), limit: 20, deadlineMs: 45_000 });
        rows.push(readRow(id, '6 search (limit 20)', `Parley on MariaDB (replica), ${label}`, server.pid, r, { messages, plan: 'scan of own conversations ≤ 50k messages, else FULLTEXT' }));
        progress(`6 search (MariaDB): ${label}: p50 ${rows.at(-1)!.p50_ms} ms, p99 ${rows.at(-1)!.p99_ms} ms, ${rows.at(-1)!.extra.check}`);
      }
    }
    return rows;
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Run the MariaDB rows of the selected scenarios and add them to `report` (a failure becomes a note); `duration_s` then covers the whole run. */
export async function addMysqlRows(args: Args, report: RunReport, runTag: string): Promise<void> {
  const ctx: Ctx = { args, runTag, rows: report.rows, notes: report.notes };
  const want = new Set(args.only);
  let pair: MariaDbPair | undefined;
  try {
    progress('--store mysql: starting a MariaDB primary and replica');
    pair = await startMariaDbPair({ bufferPoolMb: args.quick ? 64 : 512 });
    if (want.has('throughput')) {
      const row = await throughput(ctx, pair);
      row.id = 'mysql-throughput';
      report.rows.push(row);
    }
    if (want.has('history') || want.has('search')) {
      report.rows.push(...await historyAndSearch(ctx, pair, { history: want.has('history'), search: want.has('search') }));
    }
  } catch (err) {
    const msg = `--store mysql failed: ${err instanceof Error ? err.message : String(err)}`;
    progress(msg);
    report.notes.push(msg.split('\n')[0]!);
  } finally {
    await pair?.stop();
    // The run's duration was taken when the SQLite scenarios ended; it covers these rows too.
    const started = Date.parse(report.started_at);
    if (Number.isFinite(started)) report.duration_s = Math.round((Date.now() - started) / 1000);
  }
}
