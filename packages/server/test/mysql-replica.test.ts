import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import mysql from 'mysql2/promise';
import { MysqlStore, type MysqlStoreOptions } from '../src/store/mysql/mysql-store.js';
import type { MemberRow, StoredMessage } from '../src/store/store.js';
import { freePort } from './helpers/child-server.js';
import { startMariaDbPair, type MariaDbPair } from './helpers/mariadb-harness.js';

/**
 * Reads on replicas (MariaDB primary + GTID replica of the harness): a
 * replica read sees a message within a bounded lag; the writer reads its own
 * write even while the replica's SQL thread is stopped; a lagging or
 * unreachable replica is skipped and used again once healthy. No test waits
 * on wall-clock timing: every wait polls a condition with a 30 s ceiling.
 */
const T0 = 1_700_000_000_000;
const member = (app_id: string, conv_id: string, user_id: string): MemberRow => ({
  app_id, conv_id, user_id, role: 'member', join_seq: 0, read_seq: 0, muted_until: 0, muted: false, pinned: false, hidden: false, joined_at: T0,
});
const text = (app_id: string, conv_id: string, seq: number, sender: string, body: string): StoredMessage => ({
  app_id, conv_id, seq, msg_id: `m-${conv_id}-${seq}`, sender, cmid: `c-${conv_id}-${seq}`, type: 'text',
  content: { text: body }, status: 'normal', created_at: T0 + seq,
});

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, ceilingMs = 30_000, pollMs = 50): Promise<T> {
  const deadline = Date.now() + ceilingMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

describe('MysqlStore with a replica', () => {
  let pair: MariaDbPair;
  let db: { name: string; primaryUrl: string; replicaUrl: string };
  const stores: MysqlStore[] = [];
  const open = async (over: Partial<MysqlStoreOptions> = {}) => {
    // The timer-driven check is left far apart: tests drive checkReplicas() themselves.
    const s = new MysqlStore({ primaryUrl: db.primaryUrl, replicaUrls: [db.replicaUrl], replica: { checkIntervalMs: 3_600_000, maxLagMs: 60_000 }, ...over });
    stores.push(s);
    await s.migrate();
    return s;
  };
  const onReplica = async <T>(sql: string, params: unknown[]): Promise<T[]> => {
    const c = await mysql.createConnection(db.replicaUrl);
    try {
      return (await c.query(sql, params))[0] as T[];
    } finally {
      await c.end();
    }
  };
  let n = 0;
  const newConv = async (s: MysqlStore, users: string[]) => {
    const app = `app${++n}`;
    const conv = `g:c${n}`;
    await s.ensureConversations(app, [{ conv_id: conv, type: 'group', members: users.map((u) => member(app, conv, u)) }], T0);
    return { app, conv };
  };

  before(async () => {
    pair = await startMariaDbPair();
    db = await pair.createDatabase();
  });
  after(async () => {
    for (const s of stores) await s.close();
    await pair?.startReplicaSql().catch(() => {});
    await pair?.stop();
  });

  it('a replica read sees a message within a bounded lag, and is served by the replica', async (t) => {
    const store = await open();
    assert.equal(store.replicaStatus()[0]?.healthy, true, JSON.stringify(store.replicaStatus()));
    const { app, conv } = await newConv(store, ['u1', 'u2']);
    // Lag observed directly on the replica: from the commit's resolve (the ack) to the row visible there, for 20 commits.
    // (The table itself may not have reached the replica yet: a failed probe counts as "not yet".)
    const replica = await mysql.createConnection(db.replicaUrl);
    const lags: number[] = [];
    try {
      for (let seq = 1; seq <= 20; seq++) {
        await store.commitMessages([text(app, conv, seq, 'u1', seq === 1 ? 'replicated hello' : `more ${seq}`)]);
        const t0 = process.hrtime.bigint();
        await until(`seq ${seq} on the replica`, async () =>
          ((await replica.query('SELECT 1 FROM messages WHERE app_id = ? AND conv_id = ? AND seq = ?', [app, conv, seq]).catch(() => [[]]))[0] as unknown[]).length > 0, 30_000, 1);
        lags.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
    } finally {
      await replica.end();
    }
    lags.sort((a, b) => a - b);
    t.diagnostic(`replica lag (ack → row visible on the replica, 20 commits): median ${lags[10]!.toFixed(1)} ms, max ${lags[19]!.toFixed(1)} ms`);
    await store.checkReplicas();
    const before = store.readCounts().replica;
    // u2 never wrote: a lag-tolerant read with no read-your-writes constraint goes to the replica.
    const hits = await store.search({ app_id: app, user_id: 'u2', text: 'hello', limit: 10 });
    assert.deepEqual(hits.map((m) => m.seq), [1]);
    assert.equal(store.readCounts().replica, before + 1, 'served by the replica');
    assert.equal((await store.listMemberConversations(app, 'u2'))[0]?.last_seq, 20);
    // u1 just wrote; the store knows the GTID of that write and that the replica has applied it,
    // so u1's own read may use the replica too (a time window alone would have sent it to the primary).
    const replicaReads = store.readCounts().replica;
    assert.equal((await store.history({ app_id: app, conv_id: conv, user_id: 'u1', limit: 1 }))[0]?.seq, 20);
    assert.equal(store.readCounts().replica, replicaReads + 1, 'read-your-writes by GTID');
  });

  it('read-your-write: the sender sees their message at once while the replica\'s SQL thread is stopped', async () => {
    const store = await open({ replica: { checkIntervalMs: 3_600_000, maxLagMs: 60_000, waitMs: 200 } });
    const { app, conv } = await newConv(store, ['u1', 'u2']);
    await pair.waitReplicaCaughtUp();
    await store.checkReplicas();
    await pair.stopReplicaSql();
    try {
      await store.commitMessages([text(app, conv, 1, 'u1', 'my own write')]);
      // The replica really lags: the row is not there.
      assert.equal((await onReplica('SELECT 1 FROM messages WHERE app_id = ? AND conv_id = ?', [app, conv])).length, 0);
      const mine = await store.history({ app_id: app, conv_id: conv, user_id: 'u1', limit: 10 });
      assert.deepEqual(mine.map((m) => m.content), [{ text: 'my own write' }]);
      assert.deepEqual((await store.search({ app_id: app, user_id: 'u1', text: 'own write', limit: 10 })).map((m) => m.seq), [1]);
      assert.equal((await store.listMemberConversations(app, 'u1'))[0]?.read_seq, 1, 'the sender\'s read position, from the primary');
      // u2 wrote nothing, so u2's list may come from the lagging replica (still healthy within max lag): it does not show seq 1 yet.
      const before = store.readCounts().replica;
      assert.equal((await store.listMemberConversations(app, 'u2'))[0]?.last_seq, 0);
      assert.equal(store.readCounts().replica, before + 1);
      // Sync forward (after) always reads the primary.
      assert.deepEqual((await store.history({ app_id: app, conv_id: conv, user_id: 'u2', after: 0, limit: 10 })).map((m) => m.seq), [1]);
    } finally {
      await pair.startReplicaSql();
    }
    await pair.waitReplicaCaughtUp();
    assert.equal((await store.listMemberConversations(app, 'u2'))[0]?.last_seq, 1);
  });

  it('a member removed by another process gets no history from a replica that still has their member row', async () => {
    const store = await open();
    const { app, conv } = await newConv(store, ['u1', 'u2']);
    await store.commitMessages([text(app, conv, 1, 'u1', 'before the removal')]);
    await pair.waitReplicaCaughtUp();
    await store.checkReplicas();
    assert.deepEqual((await store.history({ app_id: app, conv_id: conv, user_id: 'u2', limit: 5 })).map((m) => m.seq), [1]);
    await pair.stopReplicaSql();
    try {
      const other = await open(); // another process: this store's router knows nothing of its write
      await other.removeMember(app, conv, 'u2');
      const onR = await onReplica<{ n: number }>('SELECT count(*) AS n FROM conversation_members WHERE app_id = ? AND conv_id = ? AND user_id = ?', [app, conv, 'u2']);
      assert.equal(Number(onR[0]?.n), 1, 'the replica has not applied the removal');
      await store.checkReplicas();
      assert.equal(store.replicaStatus()[0]?.healthy, true, 'still within its lag bound');
      assert.deepEqual(await store.history({ app_id: app, conv_id: conv, user_id: 'u2', limit: 5 }), []);
      assert.deepEqual((await store.history({ app_id: app, conv_id: conv, user_id: 'u1', limit: 5 })).map((m) => m.seq), [1], 'members still read');
    } finally {
      await pair.startReplicaSql();
    }
  });

  it('a replica lagging beyond the bound is skipped, and used again once it has caught up', async () => {
    const store = await open({ replica: { checkIntervalMs: 3_600_000, maxLagMs: 300 } });
    const { app, conv } = await newConv(store, ['u1', 'u2']);
    await pair.waitReplicaCaughtUp();
    await store.checkReplicas();
    assert.equal(store.replicaStatus()[0]?.healthy, true);
    await pair.stopReplicaSql();
    try {
      await store.commitMessages([text(app, conv, 1, 'u1', 'while lagging')]);
      const status = await until('the replica marked lagging', async () => {
        await store.checkReplicas();
        const s = store.replicaStatus()[0]!;
        return !s.healthy && s;
      });
      assert.ok((status.lagMs ?? 0) > 300, JSON.stringify(status));
      const before = store.readCounts();
      // Nobody's own write: still answered, by the primary, with the new message.
      assert.equal((await store.listMemberConversations(app, 'u2'))[0]?.last_seq, 1);
      assert.equal(store.readCounts().primary, before.primary + 1);
      assert.equal(store.readCounts().replica, before.replica);
    } finally {
      await pair.startReplicaSql();
    }
    await until('the replica healthy again', async () => {
      await store.checkReplicas();
      return store.replicaStatus()[0]!.healthy;
    });
    const before = store.readCounts().replica;
    assert.equal((await store.listMemberConversations(app, 'u2'))[0]?.last_seq, 1);
    assert.equal(store.readCounts().replica, before + 1, 'back on the replica');
  });

  it('a replica that stops answering (frozen, connections open): reads are bounded, answered by the primary, and it comes back', async () => {
    const store = await open({ replica: { checkIntervalMs: 3_600_000, maxLagMs: 60_000, readTimeoutMs: 1000, checkTimeoutMs: 1000 } });
    const { app, conv } = await newConv(store, ['u1', 'u2']);
    await store.commitMessages([text(app, conv, 1, 'u1', 'frozen replica')]);
    await pair.waitReplicaCaughtUp();
    await store.checkReplicas();
    assert.equal((await store.listMemberConversations(app, 'u2'))[0]?.last_seq, 1); // opens a pooled replica connection
    pair.freeze('replica', true);
    try {
      assert.deepEqual((await store.search({ app_id: app, user_id: 'u2', text: 'frozen', limit: 5 })).map((m) => m.seq), [1]);
      assert.equal(store.replicaStatus()[0]?.healthy, false, 'marked down by the read that timed out');
      await store.checkReplicas();
      assert.equal(store.replicaStatus()[0]?.healthy, false, 'the check times out too');
    } finally {
      pair.freeze('replica', false);
    }
    await until('the replica healthy again', async () => {
      await store.checkReplicas();
      return store.replicaStatus()[0]!.healthy;
    });
  });

  it('a replica that dies under the store: the read in flight is answered by the primary, the replica is skipped', async () => {
    const store = await open();
    const { app, conv } = await newConv(store, ['u1', 'u2']);
    await store.commitMessages([text(app, conv, 1, 'u1', 'before the replica died')]);
    await pair.waitReplicaCaughtUp();
    await store.checkReplicas();
    assert.equal((await store.listMemberConversations(app, 'u2'))[0]?.last_seq, 1);
    assert.equal(store.replicaStatus()[0]?.healthy, true);
    await pair.kill('replica'); // the last test on this replica: it is not restarted
    // The store has not checked since: the next replica read fails there and is answered by the primary.
    assert.deepEqual((await store.search({ app_id: app, user_id: 'u2', text: 'died', limit: 5 })).map((m) => m.seq), [1]);
    assert.equal(store.replicaStatus()[0]?.healthy, false);
    const before = store.readCounts();
    assert.equal((await store.listMemberConversations(app, 'u2'))[0]?.last_seq, 1);
    assert.equal(store.readCounts().primary, before.primary + 1, 'skipped while down');
    await store.checkReplicas();
    assert.equal(store.replicaStatus()[0]?.healthy, false, 'still down at the next check');
  });

  it('an unreachable replica is skipped: reads are answered by the primary without errors', async () => {
    const dead = `mysql://app:apppw@127.0.0.1:${await freePort()}/${db.name}`;
    const store = await open({ replicaUrls: [dead] });
    assert.equal(store.replicaStatus()[0]?.healthy, false);
    assert.match(store.replicaStatus()[0]?.url ?? '', /app:\*\*\*@/, 'the password is not shown');
    const { app, conv } = await newConv(store, ['u1']);
    await store.commitMessages([text(app, conv, 1, 'u1', 'still readable')]);
    assert.deepEqual((await store.search({ app_id: app, user_id: 'u1', text: 'readable', limit: 5 })).map((m) => m.seq), [1]);
    assert.equal((await store.history({ app_id: app, conv_id: conv, user_id: 'u1', limit: 5 })).length, 1);
  });
});
