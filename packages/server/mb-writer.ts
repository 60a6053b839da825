import Database from 'better-sqlite3';
import { rmSync } from 'node:fs';
import { runMigrations } from './src/store/sqlite/migrations.js';
import { MessageWriter } from './src/store/sqlite/message-writer.js';
import { toCommitRow } from './src/store/sqlite/commit-row.js';
import { SearchIndexer } from './src/store/sqlite/search-indexer.js';
import { OutboxMarks } from './src/store/sqlite/event-outbox.js';

const p = '/tmp/mb/w.db'; for (const s of ['', '-wal', '-shm']) rmSync(p + s, { force: true });
const db = new Database(p); db.pragma('journal_mode=WAL'); db.pragma('synchronous=FULL');
const cache = process.env.CACHE; if (cache) db.pragma(`cache_size=${cache}`);
const ckpt = process.env.CKPT; if (ckpt) db.pragma(`wal_autocheckpoint=${ckpt}`);
runMigrations(db, undefined, Date.now);
const w = new MessageWriter(db); const ix = new SearchIndexer(db, { delayMs: 1e9, batch: 2000 }); const om = new OutboxMarks(db);
const seqs = new Map<string, number>();
let n = 0;
function batch(size: number) {
  const b = [];
  for (let i = 0; i < size; i++) {
    const pair = (n * 7 + i) % 50; const conv = `s:u${pair}a:u${pair}b`;
    const seq = (seqs.get(conv) ?? 0) + 1; seqs.set(conv, seq);
    n++;
    b.push({ app_id: 'bench', conv_id: conv, seq, msg_id: `m${n.toString(36)}xx${Math.random().toString(36).slice(2, 8)}`, sender: `u${pair}a`, cmid: `c${n}`, type: 'text', content: { text: `hello number ${n} some words here` }, status: 'normal', created_at: Date.now() });
  }
  return b;
}
const rounds = Number(process.env.ROUNDS ?? 2000), size = Number(process.env.SIZE ?? 140);
let tw = 0, ti = 0, tm = 0; let prev: any[] = [];
const t00 = performance.now();
for (let r = 0; r < rounds; r++) {
  const b = batch(size);
  const rows = b.map((m: any) => toCommitRow(m)); const t0 = performance.now(); w.commit(rows); const t1 = performance.now();
  if (r % Number(process.env.EVERY ?? 10) === 0) ix.catchUp(); const t2 = performance.now();
  om.markPublished(prev); prev = b.map((m) => ({ app_id: m.app_id, conv_id: m.conv_id, seq: m.seq })); const t3 = performance.now();
  tw += t1 - t0; ti += t2 - t1; tm += t3 - t2;
  if (r % 500 === 499 && r >= 999) { console.log(`${n} msgs: commit ${(tw / 500 / size * 1000).toFixed(1)} µs/msg, index ${(ti / 500 / size * 1000).toFixed(1)}, marks ${(tm / 500 / size * 1000).toFixed(1)}`); tw = ti = tm = 0; }
}
console.log('total', ((performance.now() - t00) / n * 1000).toFixed(1), 'µs/msg');
