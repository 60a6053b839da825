// Commit latency of small transactions (15 messages every 2 ms, ~6,000 messages/s) on one connection,
// with SQLite's automatic checkpoint inside the commits (default) or none (CKPT=0):
//   node --conditions=development --import tsx scripts/micro/sqlite-commit-latency.ts
//   CKPT=0 node --conditions=development --import tsx scripts/micro/sqlite-commit-latency.ts
// Bounded: 3,000 commits.
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toCommitRow } from '../../packages/server/src/store/sqlite/commit-row.js';
import { MessageWriter } from '../../packages/server/src/store/sqlite/message-writer.js';
import { runMigrations } from '../../packages/server/src/store/sqlite/migrations.js';
import { SearchIndexer } from '../../packages/server/src/store/sqlite/search-indexer.js';

const dir = mkdtempSync(join(tmpdir(), 'parley-micro-'));
const db = new Database(join(dir, 'p.db'));
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
if (process.env.CKPT) db.pragma(`wal_autocheckpoint = ${Number(process.env.CKPT)}`);
runMigrations(db, undefined, Date.now);
const writer = new MessageWriter(db);
const indexer = new SearchIndexer(db, { delayMs: 20, batch: 2000 });
const seqs = new Map<string, number>();
let n = 0;
const lat: number[] = [];
for (let r = 0; r < 3000; r++) {
  const rows = Array.from({ length: 15 }, (_, i) => {
    const pair = (n * 7 + i) % 50;
    const conv = `s:u${pair}a:u${pair}b`;
    const seq = (seqs.get(conv) ?? 0) + 1;
    seqs.set(conv, seq);
    n++;
    return toCommitRow({ app_id: 'bench', conv_id: conv, seq, msg_id: `m${n}`, sender: `u${pair}a`, cmid: `c${n}`, type: 'text', content: { text: `hello number ${n}` }, status: 'normal', created_at: Date.now() });
  });
  const t0 = performance.now();
  writer.commit(rows);
  indexer.committed();
  lat.push(performance.now() - t0);
  await new Promise((res) => setTimeout(res, 2));
}
indexer.stop();
lat.sort((a, b) => a - b);
const q = (x: number) => lat[Math.floor(lat.length * x)]!.toFixed(2);
console.log(`autocheckpoint ${process.env.CKPT ?? 'default'}: commit ms p50 ${q(0.5)} p90 ${q(0.9)} p99 ${q(0.99)} p99.9 ${q(0.999)}`);
db.close();
rmSync(dir, { recursive: true, force: true });
