import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Store } from '../../src/store/store.js';
import { clean, groupRow, memberRow, msg, rejectsKind, T0 } from './store-fixtures.js';

export interface ContractContext {
  /** the suite's store handle */
  store: () => Store;
  /** a second handle on the same database */
  other: () => Store;
  newApp: () => string;
}

/** The Store operations that are one transaction with a whole domain effect (part of runStoreContract). */
export function runStoreAtomicContract(ctx: ContractContext): void {
  const { newApp } = ctx;

  describe('atomic domain operations', () => {
    it('createGroup writes the group, its conversation and its members; a taken id writes nothing', async () => {
      const store = ctx.store();
      const app = newApp();
      const g = groupRow(app, 'team', { owner: 'u1', max_members: 3 });
      await store.createGroup(g, 'g:team', [memberRow(app, 'g:team', 'u1', { role: 'owner' }), memberRow(app, 'g:team', 'u2')]);
      assert.deepEqual(clean(await store.getGroup(app, 'team')), clean(g));
      const c = await store.getConversation(app, 'g:team');
      assert.equal(c?.type, 'group');
      assert.equal(c?.last_seq, 0);
      assert.deepEqual((await store.listMembers(app, 'g:team')).map((m) => [m.user_id, m.role]).sort(), [['u1', 'owner'], ['u2', 'member']]);
      await rejectsKind(store.createGroup({ ...g, name: 'again' }, 'g:team', [memberRow(app, 'g:team', 'u9')]), 'duplicate');
      assert.equal((await store.getGroup(app, 'team'))?.name, 'team');
      assert.equal(await store.getMember(app, 'g:team', 'u9'), null, 'the refused create added no member');
    });

    it('getGroups and getMemberRows read many rows at once, only existing ones, only of the app', async () => {
      const store = ctx.store();
      const [app, other] = [newApp(), newApp()];
      await store.createGroup(groupRow(app, 'a'), 'g:a', [memberRow(app, 'g:a', 'u1')]);
      await store.createGroup(groupRow(app, 'b'), 'g:b', [memberRow(app, 'g:b', 'u2', { read_seq: 0 })]);
      await store.createGroup(groupRow(other, 'c'), 'g:c', [memberRow(other, 'g:c', 'u1')]);
      assert.deepEqual((await store.getGroups(app, ['b', 'a', 'c', 'ghost'])).map((g) => g.group_id).sort(), ['a', 'b']);
      assert.deepEqual(await store.getGroups(app, []), []);
      const rows = await store.getMemberRows(app, [
        { conv_id: 'g:a', user_id: 'u1' }, { conv_id: 'g:b', user_id: 'u2' }, { conv_id: 'g:a', user_id: 'u2' }, { conv_id: 'g:c', user_id: 'u1' },
      ]);
      assert.deepEqual(rows.map((m) => `${m.conv_id}/${m.user_id}`).sort(), ['g:a/u1', 'g:b/u2']);
      assert.deepEqual(clean(rows.find((m) => m.conv_id === 'g:a')), clean(memberRow(app, 'g:a', 'u1')));
      assert.deepEqual(await store.getMemberRows(app, []), []);
    });

    it('addGroupMembers: join seq above the committed and handed-out seqs, existing members untouched, the limit checked', async () => {
      const store = ctx.store();
      const app = newApp();
      await store.createGroup(groupRow(app, 'g', { max_members: 4 }), 'g:g', [memberRow(app, 'g:g', 'u1', { role: 'owner' })]);
      await store.commitMessages([msg(app, 'g:g', 1, 'u1'), msg(app, 'g:g', 2, 'u1')]);
      const r1 = await store.addGroupMembers(app, 'g', 'g:g', ['u2', 'u1'], { at: T0 + 5, minJoinSeq: 0 });
      assert.deepEqual(r1, { ok: true, added: ['u2'], join_seq: 3 });
      assert.deepEqual(clean(await store.getMember(app, 'g:g', 'u2')), clean(memberRow(app, 'g:g', 'u2', { join_seq: 3, read_seq: 2, joined_at: T0 + 5 })));
      assert.equal((await store.getMember(app, 'g:g', 'u1'))?.role, 'owner', 'an existing member is left as it was');
      // seq 7 already handed out (not committed): the caller's minimum wins
      assert.deepEqual(await store.addGroupMembers(app, 'g', 'g:g', ['u3'], { at: T0, minJoinSeq: 8 }), { ok: true, added: ['u3'], join_seq: 8 });
      assert.deepEqual(await store.addGroupMembers(app, 'g', 'g:g', ['u4', 'u5'], { at: T0, minJoinSeq: 0 }), { ok: false, reason: 'full', members: 3 });
      assert.equal(await store.getMember(app, 'g:g', 'u4'), null, 'a refused add writes nothing');
      assert.deepEqual(await store.addGroupMembers(app, 'g', 'g:g', ['u1', 'u2'], { at: T0, minJoinSeq: 0 }), { ok: true, added: [], join_seq: 3 });
      assert.equal((await store.addGroupMembers(app, 'ghost', 'g:ghost', ['u1'], { at: T0, minJoinSeq: 0 })).ok, false);
      await store.updateGroup(app, 'g', { dismissed: true });
      assert.deepEqual(await store.addGroupMembers(app, 'g', 'g:g', ['u4'], { at: T0, minJoinSeq: 0 }), { ok: false, reason: 'dismissed', members: 3 });
      assert.equal(await store.countMembers(app, 'g:g'), 3);
    });

    it('addGroupMembers from two handles at once never exceeds the limit', async () => {
      const [a, b] = [ctx.store(), ctx.other()];
      const app = newApp();
      await a.createGroup(groupRow(app, 'g', { max_members: 10 }), 'g:g', [memberRow(app, 'g:g', 'owner', { role: 'owner' })]);
      const results = await Promise.all(Array.from({ length: 24 }, (_, i) =>
        (i % 2 ? a : b).addGroupMembers(app, 'g', 'g:g', [`u${i}`], { at: T0, minJoinSeq: 0 })));
      const ok = results.filter((r) => r.ok);
      assert.equal(ok.length, 9, 'exactly the free places are taken');
      assert.ok(results.filter((r) => !r.ok).every((r) => !r.ok && r.reason === 'full'));
      const members = (await a.listMembers(app, 'g:g')).map((m) => m.user_id).sort();
      assert.equal(members.length, 10);
      assert.deepEqual(members, ['owner', ...ok.flatMap((r) => (r.ok ? r.added : []))].sort());
      // two larger adds racing: at most one fits
      await a.createGroup(groupRow(app, 'h', { max_members: 4 }), 'g:h', [memberRow(app, 'g:h', 'owner', { role: 'owner' })]);
      const [x, y] = await Promise.all([
        a.addGroupMembers(app, 'h', 'g:h', ['x1', 'x2', 'x3'], { at: T0, minJoinSeq: 0 }),
        b.addGroupMembers(app, 'h', 'g:h', ['y1', 'y2', 'y3'], { at: T0, minJoinSeq: 0 }),
      ]);
      assert.equal([x, y].filter((r) => r.ok).length, 1);
      assert.equal(await b.countMembers(app, 'g:h'), 4);
    });

    it('transferOwnership moves the owner, demotes the old one to admin, and refuses a stale owner or a non-member', async () => {
      const [a, b] = [ctx.store(), ctx.other()];
      const app = newApp();
      await a.createGroup(groupRow(app, 'g', { owner: 'u1' }), 'g:g', ['u1', 'u2', 'u3', 'u4'].map((u) => memberRow(app, 'g:g', u, { role: u === 'u1' ? 'owner' : 'member' })));
      assert.deepEqual(await a.transferOwnership(app, 'g', 'g:g', 'u1', 'ghost'), { ok: false, reason: 'not_member' });
      assert.equal((await a.getGroup(app, 'g'))?.owner, 'u1', 'a refused transfer writes nothing');
      assert.deepEqual(await a.transferOwnership(app, 'g', 'g:g', 'u1', 'u2'), { ok: true });
      assert.equal((await b.getGroup(app, 'g'))?.owner, 'u2');
      assert.equal((await b.getMember(app, 'g:g', 'u2'))?.role, 'owner');
      assert.equal((await b.getMember(app, 'g:g', 'u1'))?.role, 'admin');
      assert.deepEqual(await b.transferOwnership(app, 'g', 'g:g', 'u1', 'u3'), { ok: false, reason: 'not_owner' });
      // the same owner giving the group to two members at once, on two handles: exactly one wins
      const [x, y] = await Promise.all([a.transferOwnership(app, 'g', 'g:g', 'u2', 'u3'), b.transferOwnership(app, 'g', 'g:g', 'u2', 'u4')]);
      assert.equal([x, y].filter((r) => r.ok).length, 1);
      const owner = (await a.getGroup(app, 'g'))?.owner;
      assert.equal(owner, x.ok ? 'u3' : 'u4');
      assert.deepEqual((await a.listMembers(app, 'g:g')).filter((m) => m.role === 'owner').map((m) => m.user_id), [owner]);
      assert.deepEqual(await a.transferOwnership(app, 'ghost', 'g:ghost', 'u1', 'u2'), { ok: false, reason: 'not_found' });
    });

    it('ensureConversations creates many conversations and members in one call and leaves existing rows unchanged', async () => {
      const store = ctx.store();
      const app = newApp();
      const users = Array.from({ length: 300 }, (_, i) => `n${i}`);
      const convs = users.map((u) => ({ conv_id: `n:${u}`, type: 'notification' as const, members: [memberRow(app, `n:${u}`, u)] }));
      await store.ensureConversations(app, convs, T0);
      await store.commitMessages([msg(app, 'n:n0', 1, 'system', { type: 'notice', content: { kind: 'system', text: 'hi' } })]);
      await store.markRead(app, 'n:n0', 'n0', 1);
      await store.ensureConversations(app, convs.map((c) => ({ ...c, members: c.members.map((m) => ({ ...m, pinned: true })) })), T0 + 1);
      const n0 = await store.getMember(app, 'n:n0', 'n0');
      assert.equal(n0?.read_seq, 1, 'an existing member row is left unchanged');
      assert.equal(n0?.pinned, false);
      assert.equal((await store.getConversation(app, 'n:n0'))?.last_seq, 1, 'an existing conversation is left unchanged');
      const c = await store.getConversation(app, 'n:n299');
      assert.deepEqual(clean(c), { app_id: app, conv_id: 'n:n299', type: 'notification', last_seq: 0, updated_at: T0 });
      assert.equal((await store.getMemberRows(app, users.map((u) => ({ conv_id: `n:${u}`, user_id: u })))).length, 300);
      await store.ensureConversations(app, [], T0);
      // a single chat with both members
      await store.ensureConversations(app, [{ conv_id: 's:a:b', type: 'single', members: [memberRow(app, 's:a:b', 'a'), memberRow(app, 's:a:b', 'b')] }], T0);
      assert.deepEqual((await store.listMemberConversations(app, 'b')).map((r) => [r.conv_id, r.type]), [['s:a:b', 'single']]);
    });

    it('recallMessage is one conditional update: exists, not a notice, not recalled, within the window', async () => {
      const [a, b] = [ctx.store(), ctx.other()];
      const app = newApp();
      await a.createGroup(groupRow(app, 'g'), 'g:g', [memberRow(app, 'g:g', 'u1')]);
      await a.commitMessages([1, 2, 3].map((s) => msg(app, 'g:g', s, 'u1')).concat(msg(app, 'g:g', 4, 'system', { type: 'notice', content: { kind: 'system', text: 'n' } })));
      // seq 2 was created at T0 + 2000
      const expired = await a.recallMessage(app, 'g:g', 2, { at: T0 + 9000, createdSince: T0 + 2001 });
      assert.equal(expired.ok, false);
      assert.equal(!expired.ok && expired.reason, 'expired');
      assert.equal((await a.getMessage(app, 'g:g', 2))?.status, 'normal');
      const done = await a.recallMessage(app, 'g:g', 2, { at: T0 + 9000, createdSince: T0 + 2000 });
      assert.equal(done.ok, true);
      assert.equal(done.ok && done.message.sender, 'u1');
      assert.equal((await b.getMessage(app, 'g:g', 2))?.status, 'recalled');
      const again = await b.recallMessage(app, 'g:g', 2, { at: T0 + 9001 });
      assert.equal(!again.ok && again.reason, 'already_recalled');
      const notice = await a.recallMessage(app, 'g:g', 4, { at: T0 });
      assert.equal(!notice.ok && notice.reason, 'notice');
      const missing = await a.recallMessage(app, 'g:g', 99, { at: T0 });
      assert.equal(!missing.ok && missing.reason, 'not_found');
      // the preview follows when the recalled message is the last one; no window given = no window
      const [x, y] = await Promise.all([a.recallMessage(app, 'g:g', 3, { at: T0 + 1 }), b.recallMessage(app, 'g:g', 3, { at: T0 + 2 })]);
      assert.equal([x, y].filter((r) => r.ok).length, 1, 'two recalls at once: exactly one succeeds');
      await a.commitMessages([msg(app, 'g:g', 5, 'u1')]);
      await a.recallMessage(app, 'g:g', 5, { at: T0 });
      assert.equal((await a.getConversation(app, 'g:g'))?.last_message?.status, 'recalled');
    });

    it('reserveSeqBlock starts above the mark and the committed seq; the mark is never the visible max seq', async () => {
      const store = ctx.store();
      const app = newApp();
      assert.deepEqual(await store.reserveSeqBlock(app, 'g:c', 10), { first: 1, last: 10 });
      assert.deepEqual(await store.reserveSeqBlock(app, 'g:c', 5), { first: 11, last: 15 });
      assert.equal(await store.maxSeq(app, 'g:c'), 0, 'reserving commits no message');
      assert.equal((await store.getConversation(app, 'g:c'))?.last_seq ?? 0, 0);
      await store.addMembers([memberRow(app, 'g:c', 'u1')]);
      await store.commitMessages([msg(app, 'g:c', 40, 'u1')]); // committed without a reservation (an import, an old build)
      assert.deepEqual(await store.reserveSeqBlock(app, 'g:c', 1), { first: 41, last: 41 });
      assert.deepEqual(await store.reserveSeqBlock(app, 'g:other', 3), { first: 1, last: 3 });
      assert.deepEqual(await store.reserveSeqBlock(newApp(), 'g:c', 3), { first: 1, last: 3 }, 'marks are per app');
      assert.equal(await store.maxSeq(app, 'g:c'), 40);
    });

    it('releaseSeqBlocks gives back an unused tail only while no later block was reserved', async () => {
      const [a, b] = [ctx.store(), ctx.other()];
      const app = newApp();
      const blk = await a.reserveSeqBlock(app, 'g:c', 100); // 1..100, 1..7 handed out
      await a.releaseSeqBlocks([{ app_id: app, conv_id: 'g:c', last: blk.last, used: 7 }]);
      assert.deepEqual(await b.reserveSeqBlock(app, 'g:c', 10), { first: 8, last: 17 }, 'a clean restart leaves no gap');
      // a stale release (someone reserved after the block) changes nothing
      await a.releaseSeqBlocks([{ app_id: app, conv_id: 'g:c', last: 100, used: 7 }]);
      await a.releaseSeqBlocks([{ app_id: app, conv_id: 'g:c', last: 17, used: 20 }]); // never raises
      assert.deepEqual(await a.reserveSeqBlock(app, 'g:c', 1), { first: 18, last: 18 });
      // never below what is committed
      await a.addMembers([memberRow(app, 'g:d', 'u1')]);
      await a.commitMessages([msg(app, 'g:d', 5, 'u1')]);
      const d = await a.reserveSeqBlock(app, 'g:d', 10);
      await a.releaseSeqBlocks([{ app_id: app, conv_id: 'g:d', last: d.last, used: d.first - 1 }]);
      assert.deepEqual(await b.reserveSeqBlock(app, 'g:d', 1), { first: 6, last: 6 });
      await a.releaseSeqBlocks([]);
    });
  });
}
