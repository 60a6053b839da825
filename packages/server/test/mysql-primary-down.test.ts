import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MysqlStore } from '../src/store/mysql/mysql-store.js';
import { StoreError, type MemberRow, type StoredMessage } from '../src/store/store.js';
import { startMariaDbPair, type MariaDbPair } from './helpers/mariadb-harness.js';

/**
 * A primary that dies under a running store (SIGKILL of its mariadbd): every
 * write fails `unavailable` (so nothing is acked), primary reads fail the same
 * way, and lag-tolerant reads keep being answered by the healthy replica.
 */
const T0 = 1_700_000_000_000;
const member = (app_id: string, conv_id: string, user_id: string): MemberRow => ({
  app_id, conv_id, user_id, role: 'member', join_seq: 0, read_seq: 0, muted_until: 0, muted: false, pinned: false, hidden: false, joined_at: T0,
});
const text = (seq: number, body: string): StoredMessage => ({
  app_id: 'a', conv_id: 'g:c', seq, msg_id: `m${seq}`, sender: 'u1', cmid: `c${seq}`, type: 'text', content: { text: body }, status: 'normal', created_at: T0 + seq,
});
const unavailable = (err: unknown) => err instanceof StoreError && err.kind === 'unavailable';

describe('MysqlStore when the primary dies', () => {
  let pair: MariaDbPair;
  let store: MysqlStore;
  before(async () => {
    pair = await startMariaDbPair();
    const db = await pair.createDatabase();
    store = new MysqlStore({ primaryUrl: db.primaryUrl, replicaUrls: [db.replicaUrl], replica: { checkIntervalMs: 3_600_000, maxLagMs: 60_000 } });
    await store.migrate();
  });
  after(async () => {
    await store?.close();
    await pair?.stop();
  });

  it('writes fail unavailable (never a false ack); replica reads go on', async () => {
    await store.ensureConversations('a', [{ conv_id: 'g:c', type: 'group', members: [member('a', 'g:c', 'u1'), member('a', 'g:c', 'u2')] }], T0);
    assert.deepEqual(await store.commitMessages([text(1, 'before the crash')]), { duplicates: [], conflicts: [], not_members: [] });
    await pair.waitReplicaCaughtUp();
    await store.checkReplicas();
    await pair.kill('primary');

    await assert.rejects(store.commitMessages([text(2, 'after the crash')]), unavailable);
    await assert.rejects(store.reserveSeqBlock('a', 'g:c', 10), unavailable);
    await assert.rejects(store.markRead('a', 'g:c', 'u2', 1), unavailable);
    await assert.rejects(store.getMember('a', 'g:c', 'u1'), unavailable);
    // The replica still answers the reads that may lag (u2 has no write of its own pending).
    assert.deepEqual((await store.search({ app_id: 'a', user_id: 'u2', text: 'crash', limit: 5 })).map((m) => m.seq), [1]);
    assert.deepEqual((await store.history({ app_id: 'a', conv_id: 'g:c', user_id: 'u2', limit: 5 })).map((m) => m.seq), [1]);
    await store.checkReplicas();
    assert.equal(store.replicaStatus()[0]?.healthy, true, 'a replica is not judged by a primary it cannot compare with');
  });
});
