import { Admin, type ImportItem } from '../lib/admin.js';
import { childMain, pool, reply, type ChildMsg } from '../lib/child.js';
import { convUsers, TextGen, userId } from './corpus.js';

/**
 * Seeds the history/search data set into a running Parley through its HTTP
 * API only (child process, so its memory is returned when it exits): the
 * users through the admin API, then `perConv` messages per conversation
 * through the diagnostics import route, `batch` per request and transaction
 * (each conversation and its members are created as a first send would),
 * then waits until the full-text index has caught up.
 */
export interface SeedConfig { httpUrl: string; apiKey: string; users: number; convs: number; perConv: number; batch: number }

async function seed(cfg: SeedConfig): Promise<{ messages: number; seconds: number }> {
  const t0 = performance.now();
  const admin = new Admin(cfg.httpUrl, cfg.apiKey);
  await pool(Array.from({ length: cfg.users }, (_, u) => userId(u)), 16, (id) => admin.createUser(id));
  const base = 1_760_000_000_000;
  const text = new TextGen(42);
  let batch: ImportItem[] = [];
  let total = 0;
  let lastReport = performance.now();
  const send = async () => {
    const r = await admin.import(batch);
    if (r.stored !== batch.length) throw new Error(`import stored ${r.stored} of ${batch.length} (${r.duplicates} duplicates)`);
    total += batch.length;
    batch = [];
    if (performance.now() - lastReport > 5000) {
      lastReport = performance.now();
      reply({ type: 'progress', messages: total, seconds: (lastReport - t0) / 1000 });
    }
  };
  for (let c = 0; c < cfg.convs; c++) {
    const [a, b] = convUsers(c, cfg.users);
    for (let seq = 1; seq <= cfg.perConv; seq++) {
      const [from, to] = seq % 2 ? [a, b] : [b, a];
      batch.push({ from: userId(from), to: userId(to), cmid: `seed.${c}.${seq}`, text: text.next(), created_at: base + seq * 60_000 + c });
      if (batch.length >= cfg.batch) await send();
    }
  }
  if (batch.length) await send();
  await admin.flushSearchIndex();
  return { messages: total, seconds: (performance.now() - t0) / 1000 };
}

childMain(async (m: ChildMsg) => {
  if (m.type === 'seed') reply({ type: 'seeded', ...(await seed(m.cfg as SeedConfig)) });
});
