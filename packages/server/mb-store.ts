import { rmSync, mkdtempSync } from 'node:fs';
import { SqliteStore } from './src/store/sqlite/sqlite-store.js';
const dir = mkdtempSync('/tmp/mb/s-');
const store = new SqliteStore({ path: dir + '/p.db', commitOnWorker: process.env.INLINE ? false : true });
await store.migrate();
const seqs = new Map<string, number>(); let n = 0;
function batch(size: number) {
  const b: any[] = [];
  for (let i = 0; i < size; i++) {
    const pair = (n * 7 + i) % 50; const conv = `s:u${pair}a:u${pair}b`;
    const seq = (seqs.get(conv) ?? 0) + 1; seqs.set(conv, seq); n++;
    b.push({ app_id: 'bench', conv_id: conv, seq, msg_id: `m${n.toString(36)}xx`, sender: `u${pair}a`, cmid: `c${n}`, type: 'text', content: { text: `hello number ${n} some words here` }, status: 'normal', created_at: Date.now() });
  }
  return b;
}
const total = 1500; let done = 0; const t0 = performance.now(); let inflight: Promise<unknown>[] = [];
let marks: any[] = [];
for (let r = 0; r < total; r++) {
  const b = batch(140);
  const p = store.commitMessages(b).then(() => { if (marks.length > 500) { store.markEventsPublished(marks); marks = []; } marks.push(...b.map((m: any) => ({ app_id: m.app_id, conv_id: m.conv_id, seq: m.seq }))); });
  inflight.push(p);
  if (inflight.length >= 2) { await inflight.shift(); }
  if (r % 500 === 499) { console.log(`${n}: ${((performance.now() - t0) / n * 1000).toFixed(1)} µs/msg cumulative`); }
}
await Promise.all(inflight);
console.log('cpu', process.cpuUsage(), 'wall', (performance.now() - t0).toFixed(0));
await store.close();
rmSync(dir, { recursive: true, force: true });
