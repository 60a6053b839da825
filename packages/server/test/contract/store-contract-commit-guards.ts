import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MessageKey, StoredMessage } from '../../src/store/store.js';
import type { ContractContext } from './store-contract-atomic.js';
import { clean, memberRow, msg, seqs, T0 } from './store-fixtures.js';

const notice = (app: string, conv: string, seq: number, sender: string): StoredMessage =>
  msg(app, conv, seq, sender, { type: 'notice', content: { kind: 'member_left', user_id: sender } });

/**
 * What commitMessages guarantees beyond storing: the event outbox written in
 * the commit's transaction, and membership checked inside it (part of
 * runStoreContract).
 */
export function runStoreCommitGuardsContract(ctx: ContractContext): void {
  const { newApp } = ctx;
  const members = async (app: string, convId: string, users: string[]) => {
    await ctx.store().ensureConversations(app, [{ conv_id: convId, type: convId.startsWith('g:') ? 'group' : 'single', members: users.map((u) => memberRow(app, convId, u)) }], T0);
  };
  /** This app's pending outbox rows (the outbox is the whole store's: other tests' rows sort before or after the app's). */
  const pendingOf = async (app: string, olderThan = Number.MAX_SAFE_INTEGER, store = ctx.store()) => {
    const out: StoredMessage[] = [];
    let after: MessageKey = { app_id: app, conv_id: '', seq: -1 };
    for (let page = 0; page < 50; page++) {
      const rows = await store.pendingEvents({ olderThan, limit: 3, after });
      out.push(...rows.filter((m) => m.app_id === app));
      if (rows.length < 3 || rows.at(-1)!.app_id !== app) break;
      const last = rows.at(-1)!;
      after = { app_id: last.app_id, conv_id: last.conv_id, seq: last.seq };
    }
    return out;
  };
  const keysOf = (rows: StoredMessage[]) => rows.map((m) => `${m.conv_id}#${m.seq}`);

  describe('commit guards: event outbox and membership', () => {
    it('every stored message gets an outbox row in the commit; skipped ones do not; rows are read in key order and paged', async () => {
      const store = ctx.store();
      const app = newApp();
      await members(app, 'g:a', ['u1']);
      await members(app, 'g:b', ['u1']);
      await store.commitMessages([msg(app, 'g:b', 2, 'u1'), msg(app, 'g:a', 1, 'u1'), msg(app, 'g:b', 1, 'u1', { cmid: 'b1' })]);
      const result = await store.commitMessages([
        msg(app, 'g:a', 2, 'u1', { cmid: 'b1' }), // duplicate cmid
        msg(app, 'g:a', 1, 'u1', { cmid: 'fresh' }), // seq taken
        msg(app, 'g:a', 3, 'ghost'), // not a member
        msg(app, 's:u1:u2', 1, 'u2'),
      ]);
      assert.equal(result.duplicates.length + result.conflicts.length + result.not_members.length, 3);
      const pending = await pendingOf(app);
      assert.deepEqual(keysOf(pending), ['g:a#1', 'g:b#1', 'g:b#2', 's:u1:u2#1'], 'stored messages only, in (conv, seq) order');
      assert.deepEqual(clean(pending[0]), clean(msg(app, 'g:a', 1, 'u1')), 'the stored message itself');
      const other = await pendingOf(app, Number.MAX_SAFE_INTEGER, ctx.other());
      assert.deepEqual(keysOf(other), keysOf(pending), 'another handle sees the same rows');
    });

    it('pendingEvents honours olderThan (the message\'s created_at) and limit; markEventsPublished removes rows, idempotently', async () => {
      const store = ctx.store();
      const app = newApp();
      await members(app, 'g:c', ['u1']);
      await store.commitMessages([1, 2, 3, 4].map((s) => msg(app, 'g:c', s, 'u1'))); // created_at T0 + seq s
      assert.deepEqual(seqs(await pendingOf(app, T0 + 2000)), [1, 2], 'created at or before olderThan');
      assert.deepEqual(seqs(await pendingOf(app, T0)), []);
      const first = await store.pendingEvents({ olderThan: T0 + 9000, limit: 2, after: { app_id: app, conv_id: '', seq: 0 } });
      assert.deepEqual(seqs(first), [1, 2], 'limit');
      assert.deepEqual(await store.pendingEvents({ olderThan: T0 + 9000, limit: 0 }), []);
      await store.markEventsPublished([{ app_id: app, conv_id: 'g:c', seq: 1 }, { app_id: app, conv_id: 'g:c', seq: 3 }]);
      assert.deepEqual(seqs(await pendingOf(app)), [2, 4]);
      await ctx.other().markEventsPublished([{ app_id: app, conv_id: 'g:c', seq: 3 }, { app_id: app, conv_id: 'g:c', seq: 4 }, { app_id: app, conv_id: 'g:none', seq: 1 }]);
      assert.deepEqual(seqs(await pendingOf(app)), [2], 'marking again or a missing key changes nothing else');
      await store.markEventsPublished([]);
      assert.equal((await store.getMessage(app, 'g:c', 3))?.seq, 3, 'marking published leaves the message');
    });

    it('a group message whose sender has no member row is refused inside the commit and moves nothing', async () => {
      const store = ctx.store();
      const app = newApp();
      await members(app, 'g:c', ['u1', 'u2']);
      await store.commitMessages([msg(app, 'g:c', 1, 'u1')]);
      await store.removeMember(app, 'g:c', 'u2');
      const late = msg(app, 'g:c', 2, 'u2');
      const second = msg(app, 'g:c', 3, 'u2', { cmid: 'again' });
      const ok = msg(app, 'g:c', 4, 'u1');
      const stranger = msg(app, 'g:c', 5, 'nobody');
      const result = await store.commitMessages([late, ok, second, stranger]);
      assert.deepEqual(result.not_members, [late, second, stranger], 'the very objects given, in batch order');
      assert.deepEqual(result.duplicates, []);
      assert.deepEqual(result.conflicts, []);
      assert.equal(await store.getMessage(app, 'g:c', 2), null);
      assert.equal(await store.findByCmid(app, 'u2', 'again'), null);
      assert.equal(await store.maxSeq(app, 'g:c'), 4);
      assert.deepEqual(seqs(await pendingOf(app)), [1, 4], 'no outbox row for a refused message');
      // the removed member's old cmid is refused too, not answered as a duplicate
      const resend = await ctx.other().commitMessages([msg(app, 'g:c', 6, 'u2', { cmid: late.cmid })]);
      assert.equal(resend.not_members.length, 1);
      // re-added, they may post again
      await store.addMembers([memberRow(app, 'g:c', 'u2')]);
      assert.deepEqual((await ctx.other().commitMessages([msg(app, 'g:c', 7, 'u2')])).not_members, []);
      assert.equal(await store.maxSeq(app, 'g:c'), 7);
    });

    it('notices commit whoever their sender; single-chat and notification messages are not checked', async () => {
      const store = ctx.store();
      const app = newApp();
      await members(app, 'g:c', ['u1']);
      const result = await store.commitMessages([
        notice(app, 'g:c', 1, 'left-already'), notice(app, 'g:c', 2, 'system'),
        msg(app, 's:u1:u2', 1, 'u2'), notice(app, 'n:u1', 1, 'system'),
      ]);
      assert.deepEqual(result, { duplicates: [], conflicts: [], not_members: [] });
      assert.equal(await store.maxSeq(app, 'g:c'), 2);
      assert.equal(await store.maxSeq(app, 's:u1:u2'), 1);
    });

    it('history serves nothing to a member removed after the messages were written', async () => {
      const store = ctx.store();
      const app = newApp();
      await members(app, 'g:c', ['u1', 'u2']);
      await store.commitMessages([1, 2, 3].map((s) => msg(app, 'g:c', s, 'u1')));
      assert.deepEqual(seqs(await store.history({ app_id: app, conv_id: 'g:c', user_id: 'u2', limit: 10 })), [3, 2, 1]);
      await store.removeMember(app, 'g:c', 'u2');
      assert.deepEqual(await ctx.other().history({ app_id: app, conv_id: 'g:c', user_id: 'u2', limit: 10 }), []);
      assert.deepEqual(await store.history({ app_id: app, conv_id: 'g:c', user_id: 'u2', after: 0, limit: 10 }), []);
      assert.deepEqual(await store.search({ app_id: app, user_id: 'u2', text: 'message', limit: 10 }), []);
    });
  });
}
