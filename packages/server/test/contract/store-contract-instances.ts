import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ContractContext } from './store-contract-atomic.js';
import { memberRow, msg, seqs, T0 } from './store-fixtures.js';

/**
 * What only shows with two store handles on one database (two processes):
 * concurrent commits, dedup and seq conflicts across handles, and seq blocks
 * that never overlap (part of runStoreContract).
 */
export function runStoreInstancesContract(ctx: ContractContext): void {
  const { newApp } = ctx;

  describe('two handles on one database', () => {
    const members = async (app: string, convId: string, users: string[]) => {
      await ctx.store().ensureConversations(app, [{ conv_id: convId, type: 'group', members: users.map((u) => memberRow(app, convId, u)) }], T0);
    };

    it('concurrent commits from both handles are all stored, and each sees the other\'s', async () => {
      const [a, b] = [ctx.store(), ctx.other()];
      const app = newApp();
      await members(app, 'g:c', ['u1', 'u2']);
      const batches = Array.from({ length: 20 }, (_, i) => [msg(app, 'g:c', i * 2 + 1, 'u1'), msg(app, 'g:c', i * 2 + 2, 'u2')]);
      const results = await Promise.all(batches.map((batch, i) => (i % 2 ? a : b).commitMessages(batch)));
      assert.ok(results.every((r) => r.duplicates.length === 0 && r.conflicts.length === 0));
      for (const s of [a, b]) {
        assert.equal(await s.maxSeq(app, 'g:c'), 40);
        assert.equal((await s.getConversation(app, 'g:c'))?.last_seq, 40);
        assert.equal((await s.history({ app_id: app, conv_id: 'g:c', user_id: 'u1', limit: 100 })).length, 40);
        assert.equal((await s.getMember(app, 'g:c', 'u2'))?.read_seq, 40);
      }
    });

    it('a cmid committed on one handle is a duplicate on the other, even when both commit at once', async () => {
      const [a, b] = [ctx.store(), ctx.other()];
      const app = newApp();
      await members(app, 'g:c', ['u1']);
      const original = msg(app, 'g:c', 1, 'u1', { cmid: 'same' });
      await a.commitMessages([original]);
      const resend = await b.commitMessages([msg(app, 'g:c', 2, 'u1', { cmid: 'same' })]);
      assert.deepEqual(resend.duplicates.map((m) => [m.seq, m.msg_id]), [[1, original.msg_id]]);
      // both handles racing with one new cmid under different seqs: one stored, the other reports it
      const [x, y] = await Promise.all([
        a.commitMessages([msg(app, 'g:c', 3, 'u1', { cmid: 'race' })]),
        b.commitMessages([msg(app, 'g:c', 4, 'u1', { cmid: 'race' })]),
      ]);
      const dups = [...x.duplicates, ...y.duplicates];
      assert.equal(dups.length, 1);
      const stored = await b.findByCmid(app, 'u1', 'race');
      assert.equal(dups[0]?.seq, stored?.seq);
      assert.deepEqual(seqs(await a.history({ app_id: app, conv_id: 'g:c', user_id: 'u1', limit: 10 })), [stored!.seq, 1]);
    });

    it('a seq taken on one handle is a per-message conflict on the other; the rest of its batch is stored', async () => {
      const [a, b] = [ctx.store(), ctx.other()];
      const app = newApp();
      await members(app, 'g:c', ['u1', 'u2']);
      const [x, y] = await Promise.all([
        a.commitMessages([msg(app, 'g:c', 1, 'u1', { cmid: 'a1' }), msg(app, 'g:c', 2, 'u1', { cmid: 'a2' })]),
        b.commitMessages([msg(app, 'g:c', 2, 'u2', { cmid: 'b2' }), msg(app, 'g:c', 3, 'u2', { cmid: 'b3' })]),
      ]);
      const conflicts = [...x.conflicts, ...y.conflicts];
      assert.equal(conflicts.length, 1, 'only the message whose seq 2 was taken');
      assert.equal(conflicts[0]?.seq, 2);
      const winner = (await b.getMessage(app, 'g:c', 2))?.cmid;
      assert.ok(winner === 'a2' || winner === 'b2');
      assert.notEqual(conflicts[0]?.cmid, winner);
      for (const cmid of ['a1', 'b3']) assert.ok(await a.findByCmid(app, cmid[0] === 'a' ? 'u1' : 'u2', cmid), `${cmid} stored`);
      assert.equal(await a.maxSeq(app, 'g:c'), 3);
    });

    it('reserveSeqBlock on two handles at once never gives overlapping blocks', async () => {
      const [a, b] = [ctx.store(), ctx.other()];
      const app = newApp();
      await members(app, 'g:c', ['u1']);
      await a.commitMessages([msg(app, 'g:c', 5, 'u1')]);
      const blocks = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).reserveSeqBlock(app, 'g:c', 1 + (i % 7))));
      blocks.sort((p, q) => p.first - q.first);
      assert.ok(blocks[0]!.first > 5, 'above the committed seq');
      for (let i = 0; i < blocks.length; i++) {
        const blk = blocks[i]!;
        assert.ok(blk.last >= blk.first);
        if (i > 0) assert.ok(blk.first > blocks[i - 1]!.last, `block ${i} overlaps the one before`);
      }
    });
  });
}
