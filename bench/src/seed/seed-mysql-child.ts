// The server's own MySQL store class, imported from its source, as seed-child.ts does for SQLite.
import { MysqlStore } from '../../../packages/server/src/store/mysql/mysql-store.js';
import type { MemberRow, StoredMessage } from '../../../packages/server/src/store/store.js';
import { childMain, reply, type ChildMsg } from '../lib/child.js';
import { convIdOf, convUsers, TextGen, userId } from './corpus.js';

/**
 * Seeds the history/search data set (the same corpus and layout as
 * seed-child.ts) into a MySQL/MariaDB database through
 * MysqlStore.commitMessages, `batch` messages per transaction, after the
 * server created its app there and stopped.
 */
export interface MysqlSeedConfig { primaryUrl: string; appId: string; users: number; convs: number; perConv: number; batch: number }

async function seed(cfg: MysqlSeedConfig): Promise<{ messages: number; seconds: number }> {
  const t0 = performance.now();
  const store = new MysqlStore({ primaryUrl: cfg.primaryUrl, writerPoolSize: 2 });
  await store.migrate();
  try {
    const base = 1_760_000_000_000;
    for (let u = 0; u < cfg.users; u++) {
      await store.createUser({ app_id: cfg.appId, user_id: userId(u), name: `User ${u}`, tokens_valid_after: 0, created_at: base });
    }
    const members: MemberRow[] = [];
    for (let c = 0; c < cfg.convs; c++) {
      for (const u of convUsers(c, cfg.users)) {
        members.push({
          app_id: cfg.appId, conv_id: convIdOf(c, cfg.users), user_id: userId(u), role: 'member', join_seq: 0, read_seq: 0,
          muted_until: 0, muted: false, pinned: false, hidden: false, joined_at: base,
        });
      }
    }
    for (let i = 0; i < members.length; i += 2000) await store.addMembers(members.slice(i, i + 2000));
    const text = new TextGen(42);
    let batch: StoredMessage[] = [];
    let total = 0;
    let lastReport = performance.now();
    // Two transactions in flight: the writer pool has two connections.
    const inflight: Promise<unknown>[] = [];
    const flush = async () => {
      const b = batch;
      batch = [];
      inflight.push(store.commitMessages(b));
      if (inflight.length >= 2) await inflight.shift();
      total += b.length;
      if (performance.now() - lastReport > 5000) {
        lastReport = performance.now();
        reply({ type: 'progress', messages: total, seconds: (lastReport - t0) / 1000 });
      }
    };
    for (let c = 0; c < cfg.convs; c++) {
      const conv_id = convIdOf(c, cfg.users);
      const [a, b] = convUsers(c, cfg.users);
      for (let seq = 1; seq <= cfg.perConv; seq++) {
        const sender = userId(seq % 2 ? a : b);
        batch.push({
          app_id: cfg.appId, conv_id, seq, msg_id: `seed${c}.${seq}`, sender, cmid: `seed.${c}.${seq}`,
          type: 'text', content: { text: text.next() }, status: 'normal', created_at: base + seq * 60_000 + c,
        });
        if (batch.length >= cfg.batch) await flush();
      }
    }
    if (batch.length) await flush();
    await Promise.all(inflight);
    return { messages: total, seconds: (performance.now() - t0) / 1000 };
  } finally {
    await store.close();
  }
}

childMain(async (m: ChildMsg) => {
  if (m.type === 'seed') reply({ type: 'seeded', ...(await seed(m.cfg as MysqlSeedConfig)) });
});
