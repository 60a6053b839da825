// Store micro-benchmark of the SQLite send-path writes on one connection, nothing else running:
// µs per message for the commit (MessageWriter), the index passes and the outbox marks.
//   node --conditions=development --import tsx scripts/micro/sqlite-writer.ts
//   SIZE=400 EVERY=3 …   (messages per transaction; an index catch-up every EVERY transactions)
// Bounded: ROUNDS transactions (default 210,000 messages in all).
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toCommitRow } from '../../packages/server/src/store/sqlite/commit-row.js';
import { OutboxMarks } from '../../packages/server/src/store/sqlite/event-outbox.js';
import { MessageWriter } from '../../packages/server/src/store/sqlite/message-writer.js';
import { runMigrations } from '../../packages/server/src/store/sqlite/migrations.js';
import { SearchIndexer } from '../../packages/server/src/store/sqlite/search-indexer.js';
import type { StoredMessage } from '../../packages/server/src/store/store.js';

const size = Number(process.env.SIZE ?? 140);
const rounds = Number(process.env.ROUNDS ?? Math.floor(210_000 / size));
const every = Number(process.env.EVERY ?? Math.max(1, Math.round(1400 / size)));
const dir = mkdtempSync(join(tmpdir(), 'parley-micro-'));
const db = new Database(join(dir, 'p.db'));
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
runMigrations(db, undefined, Date.now);
const writer = new MessageWriter(db);
const indexer = new SearchIndexer(db, { delayMs: 1e9, batch: 2000 });
const marks = new OutboxMarks(db);
const seqs = new Map<string, number>();
let n = 0;
const batch = (): StoredMessage[] => Array.from({ length: size }, (_, i) => {
  const pair = (n * 7 + i) % 50;
  const conv = `s:u${pair}a:u${pair}b`;
  const seq = (seqs.get(conv) ?? 0) + 1;
  seqs.set(conv, seq);
  n++;
  return { app_id: 'bench', conv_id: conv, seq, msg_id: `m${n}`, sender: `u${pair}a`, cmid: `c${n}`, type: 'text', content: { text: `hello number ${n} some words here` }, status: 'normal', created_at: Date.now() };
});
let tc = 0, ti = 0, tm = 0;
let prev: StoredMessage[] = [];
for (let r = 0; r < rounds; r++) {
  const rows = batch().map(toCommitRow);
  const t0 = performance.now();
  writer.commit(rows);
  const t1 = performance.now();
  if (r % every === 0) indexer.catchUp();
  const t2 = performance.now();
  marks.markPublished(prev);
  const t3 = performance.now();
  prev = rows.map((row) => ({ app_id: row[0], conv_id: row[1], seq: row[2] }) as StoredMessage);
  tc += t1 - t0; ti += t2 - t1; tm += t3 - t2;
}
const per = (t: number) => ((t / n) * 1000).toFixed(1);
console.log(`${n} messages in transactions of ${size}: commit ${per(tc)} µs/msg, index ${per(ti)}, marks ${per(tm)}, total ${per(tc + ti + tm)}`);
db.close();
rmSync(dir, { recursive: true, force: true });
