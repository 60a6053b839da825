import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { CommitResult, StoredMessage } from '../src/store/store.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';

const APP = 'app1';
const msg = (conv: string, seq: number, cmid: string, sender = 'u1'): StoredMessage => ({
  app_id: APP, conv_id: conv, seq, msg_id: `m-${conv}-${seq}-${cmid}`, sender, cmid, type: 'text', content: { text: `t ${cmid}` }, status: 'normal', created_at: 1000 + seq,
});
const member = (conv_id: string, user_id: string) => ({
  app_id: APP, conv_id, user_id, role: 'member' as const, join_seq: 0, read_seq: 0, muted_until: 0, muted: false, pinned: false, hidden: false, joined_at: 1,
});

describe('commit worker: commits queued together share a transaction, and each keeps its own answer', () => {
  it('many commits posted at once come back each with its own duplicates, conflicts and refusals', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'parley-merge-'));
    const store = new SqliteStore({ path: join(dir, 'p.db'), commitOnWorker: true });
    try {
      await store.migrate();
      await store.addMembers([member('g:team', 'u1'), member('g:team', 'u2'), member('s:u1:u2', 'u1'), member('s:u1:u2', 'u2')]);
      const S = 's:u1:u2';
      // posted in one turn, so the worker finds them queued behind the first and merges them
      const batches: StoredMessage[][] = [
        [msg(S, 1, 'a1'), msg(S, 2, 'a2')],
        [msg(S, 3, 'b1'), msg(S, 4, 'a1')], // a1 again: a duplicate of the first batch's a1
        [msg(S, 2, 'c1'), msg(S, 5, 'c2')], // seq 2 is taken: a conflict
        [msg('g:team', 1, 'd1', 'stranger'), msg('g:team', 2, 'd2', 'u2')], // not a member, then a member
        ...Array.from({ length: 12 }, (_, k) => [msg(S, 6 + k, `e${k}`)]),
      ];
      const results: CommitResult[] = await Promise.all(batches.map((b) => store.commitMessages(b)));
      assert.deepEqual(results[0], { duplicates: [], conflicts: [], not_members: [] });
      assert.deepEqual(results[1]!.duplicates.map((d) => [d.cmid, d.seq]), [['a1', 1]], 'the original of a1');
      assert.deepEqual(results[1]!.conflicts, []);
      assert.deepEqual(results[2]!.conflicts.map((m) => m.cmid), ['c1']);
      assert.equal(results[2]!.conflicts[0], batches[2]![0], 'the caller gets its own message object back');
      assert.deepEqual(results[2]!.duplicates, []);
      assert.deepEqual(results[3]!.not_members.map((m) => m.cmid), ['d1']);
      for (const r of results.slice(4)) assert.deepEqual(r, { duplicates: [], conflicts: [], not_members: [] });
      assert.equal(await store.maxSeq(APP, S), 17, 'every stored message is there');
      const history = await store.history({ app_id: APP, conv_id: S, user_id: 'u1', limit: 100 });
      assert.deepEqual(history.map((m) => m.cmid).sort(), ['a1', 'a2', 'b1', 'c2', ...Array.from({ length: 12 }, (_, k) => `e${k}`)].sort());
      assert.equal(await store.maxSeq(APP, 'g:team'), 2);
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
