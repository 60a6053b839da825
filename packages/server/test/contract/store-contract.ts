import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { GroupRow, Store } from '../../src/store/store.js';
import { appRow, clean, memberRow, msg, rejectsKind, seqs, T0, text, userRow } from './store-fixtures.js';
import { runStoreAtomicContract } from './store-contract-atomic.js';
import { runStoreCommitGuardsContract } from './store-contract-commit-guards.js';
import { runStoreInstancesContract } from './store-contract-instances.js';

/**
 * The Store contract (DESIGN §2: every implementation of a seam passes the same
 * suite). Run it once per backend with a factory for a fresh store. Every test
 * works in its own random app ids, so the suite can share one database with
 * other runs (a shared MySQL) and tests never see each other's rows.
 */
export interface StoreFactory {
  /** a fresh store (its own database, or a shared one: every test uses its own random app ids) */
  store: Store;
  /** another handle on the SAME database as `store` (another process's view of it); the suite closes it */
  openAnother: () => Promise<Store>;
  /** after every handle the suite opened is closed: drop what the factory made */
  cleanup: () => Promise<void>;
}

export function runStoreContract(name: string, makeStore: () => Promise<StoreFactory>): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    let other: Store;
    let cleanup: () => Promise<void> = async () => {};
    const runId = `t${randomBytes(5).toString('hex')}`;
    let counter = 0;
    const newApp = () => `${runId}_${++counter}`;

    before(async () => {
      const made = await makeStore();
      ({ store, cleanup } = made);
      await store.migrate();
      await store.migrate(); // idempotent
      other = await made.openAnother();
      await other.migrate(); // a second process starting on a migrated database
    });
    after(async () => {
      await other?.close();
      await cleanup();
    });

    const ctx = { store: () => store, other: () => other, newApp };
    runStoreAtomicContract(ctx);
    runStoreInstancesContract(ctx);
    runStoreCommitGuardsContract(ctx);

    /** A conversation with members (joined at seq 0 unless given). */
    const conv = async (app: string, convId: string, users: string[], joinSeq: Record<string, number> = {}) => {
      await store.ensureConversation(app, convId, convId.startsWith('s:') ? 'single' : 'group', T0);
      await store.addMembers(users.map((u) => memberRow(app, convId, u, { join_seq: joinSeq[u] ?? 0 })));
    };

    describe('apps', () => {
      it('creates, reads by id and key hash, lists, and updates settings', async () => {
        const a = appRow(newApp(), { settings: { ...appRow('x').settings, webhook_url: 'https://example.test/hook' } });
        await store.createApp(a);
        assert.deepEqual(clean(await store.getApp(a.app_id)), clean(a));
        assert.deepEqual(clean(await store.getAppByKeyHash(a.api_key_hash)), clean(a));
        assert.equal(await store.getApp(`${a.app_id}-missing`), null);
        assert.equal(await store.getAppByKeyHash('no-such-hash'), null);
        const listed = (await store.listApps()).filter((x) => x.app_id === a.app_id);
        assert.deepEqual(clean(listed), [clean(a)]);
        const settings = { ...a.settings, read_receipts: false, login_policy: 'unlimited' as const, recall_window_sec: 5 };
        await store.updateAppSettings(a.app_id, settings);
        assert.deepEqual((await store.getApp(a.app_id))?.settings, clean(settings));
      });

      it('rejects a duplicate app id or key hash; updating a missing app is not_found', async () => {
        const a = appRow(newApp());
        await store.createApp(a);
        await rejectsKind(store.createApp({ ...a, api_key_hash: `${a.api_key_hash}-2` }), 'duplicate');
        await rejectsKind(store.createApp({ ...appRow(newApp()), api_key_hash: a.api_key_hash }), 'duplicate');
        await rejectsKind(store.updateAppSettings(newApp(), a.settings), 'not_found');
      });
    });

    describe('users', () => {
      it('round-trips every field; absent optional fields stay absent', async () => {
        const app = newApp();
        const full = userRow(app, 'alice', { name: 'Alice', avatar: 'https://a.test/a.png', meta: { dept: 'ops', level: 3, tags: ['x'] }, password_hash: 'scrypt$1$2$3$s$h', tokens_valid_after: 5 });
        await store.createUser(full);
        await store.createUser(userRow(app, 'bob'));
        assert.deepEqual(clean(await store.getUser(app, 'alice')), clean(full));
        const bob = await store.getUser(app, 'bob');
        assert.ok(bob);
        assert.equal(bob.avatar, undefined);
        assert.equal(bob.meta, undefined);
        assert.equal(bob.password_hash, undefined);
        assert.equal(await store.getUser(app, 'nobody'), null);
      });

      it('a duplicate (app, user) is duplicate; the same id in another app is another user', async () => {
        const [a, b] = [newApp(), newApp()];
        await store.createUser(userRow(a, 'u1', { name: 'first' }));
        await rejectsKind(store.createUser(userRow(a, 'u1', { name: 'second' })), 'duplicate');
        assert.equal((await store.getUser(a, 'u1'))?.name, 'first');
        await store.createUser(userRow(b, 'u1', { name: 'other app' }));
        assert.equal((await store.getUser(b, 'u1'))?.name, 'other app');
      });

      it('getUsers returns only the existing users of this app', async () => {
        const [a, b] = [newApp(), newApp()];
        for (const u of ['u1', 'u2', 'u3']) await store.createUser(userRow(a, u));
        await store.createUser(userRow(b, 'u4'));
        const got = (await store.getUsers(a, ['u3', 'u1', 'u4', 'ghost'])).map((u) => u.user_id).sort();
        assert.deepEqual(got, ['u1', 'u3']);
        assert.deepEqual(await store.getUsers(a, []), []);
      });

      it('updateUser changes only the given fields; a missing user is not_found', async () => {
        const app = newApp();
        await store.createUser(userRow(app, 'u', { name: 'Old', avatar: 'a.png', meta: { k: 1 } }));
        await store.updateUser(app, 'u', { name: 'New' });
        let u = await store.getUser(app, 'u');
        assert.equal(u?.name, 'New');
        assert.equal(u?.avatar, 'a.png');
        assert.deepEqual(u?.meta, { k: 1 });
        await store.updateUser(app, 'u', { meta: { k: 2, z: [1] }, password_hash: 'h', tokens_valid_after: 99, avatar: 'b.png' });
        u = await store.getUser(app, 'u');
        assert.deepEqual(clean(u), clean(userRow(app, 'u', { name: 'New', avatar: 'b.png', meta: { k: 2, z: [1] }, password_hash: 'h', tokens_valid_after: 99 })));
        await rejectsKind(store.updateUser(app, 'ghost', { name: 'x' }), 'not_found');
      });

      it('searchUsers: case-insensitive substring of id or name, limited, app-scoped, wildcards literal', async () => {
        const [a, b] = [newApp(), newApp()];
        await store.createUser(userRow(a, 'alice', { name: 'Alice Smith' }));
        await store.createUser(userRow(a, 'bob', { name: 'Bobby SMITHERS' }));
        await store.createUser(userRow(a, 'carol', { name: '王小明' }));
        await store.createUser(userRow(a, 'dan_x', { name: '100% Dan' }));
        await store.createUser(userRow(b, 'smith', { name: 'Smith of B' }));
        const ids = async (q: string, limit = 10) => (await store.searchUsers(a, q, limit)).map((u) => u.user_id).sort();
        assert.deepEqual(await ids('smith'), ['alice', 'bob']);
        assert.deepEqual(await ids('ALI'), ['alice']);
        assert.deepEqual(await ids('小明'), ['carol']);
        assert.deepEqual(await ids('%'), ['dan_x']);
        assert.deepEqual(await ids('_'), ['dan_x']);
        assert.deepEqual(await ids('nobody'), []);
        assert.equal((await store.searchUsers(a, 'smith', 1)).length, 1);
        assert.deepEqual((await store.searchUsers(b, 'smith', 10)).map((u) => u.user_id), ['smith']);
      });
    });

    describe('friends and blocks', () => {
      it('friendship is stored both ways, idempotent, removed both ways, per app', async () => {
        const [a, b] = [newApp(), newApp()];
        await store.addFriend(a, 'u1', 'u2', T0);
        await store.addFriend(a, 'u1', 'u2', T0 + 1); // again: no error, no second row
        await store.addFriend(a, 'u3', 'u1', T0);
        assert.equal(await store.isFriend(a, 'u1', 'u2'), true);
        assert.equal(await store.isFriend(a, 'u2', 'u1'), true);
        assert.deepEqual((await store.listFriends(a, 'u1')).sort(), ['u2', 'u3']);
        assert.deepEqual(await store.listFriends(a, 'u2'), ['u1']);
        assert.equal(await store.isFriend(b, 'u1', 'u2'), false);
        assert.deepEqual(await store.listFriends(b, 'u1'), []);
        await store.removeFriend(a, 'u2', 'u1');
        assert.equal(await store.isFriend(a, 'u1', 'u2'), false);
        assert.equal(await store.isFriend(a, 'u2', 'u1'), false);
        assert.deepEqual(await store.listFriends(a, 'u1'), ['u3']);
        await store.removeFriend(a, 'u2', 'u1'); // removing again is harmless
      });

      it('blocks are directed, idempotent and per app', async () => {
        const [a, b] = [newApp(), newApp()];
        await store.block(a, 'u1', 'u2', T0);
        await store.block(a, 'u1', 'u2', T0);
        await store.block(a, 'u1', 'u3', T0);
        assert.equal(await store.isBlocked(a, 'u1', 'u2'), true);
        assert.equal(await store.isBlocked(a, 'u2', 'u1'), false);
        assert.deepEqual((await store.listBlocked(a, 'u1')).sort(), ['u2', 'u3']);
        assert.deepEqual(await store.listBlocked(a, 'u2'), []);
        assert.equal(await store.isBlocked(b, 'u1', 'u2'), false);
        await store.unblock(a, 'u1', 'u2');
        assert.equal(await store.isBlocked(a, 'u1', 'u2'), false);
        assert.deepEqual(await store.listBlocked(a, 'u1'), ['u3']);
        await store.unblock(a, 'u1', 'u2');
      });
    });

    describe('groups', () => {
      it('creates, reads, patches; duplicate and missing groups', async () => {
        const [a, b] = [newApp(), newApp()];
        const g: GroupRow = { app_id: a, group_id: 'g1', name: 'Team', notice: '', owner: 'u1', muted_all: false, dismissed: false, max_members: 200, created_at: T0 };
        await store.createGroup(g, 'g:g1', [memberRow(a, 'g:g1', 'u1', { role: 'owner' })]);
        assert.deepEqual(clean(await store.getGroup(a, 'g1')), clean(g));
        assert.equal(await store.getGroup(b, 'g1'), null);
        await rejectsKind(store.createGroup({ ...g, name: 'again' }, 'g:g1', []), 'duplicate');
        await store.updateGroup(a, 'g1', { name: 'Renamed', avatar: 'g.png', notice: 'hi', owner: 'u2', muted_all: true });
        assert.deepEqual(clean(await store.getGroup(a, 'g1')), clean({ ...g, name: 'Renamed', avatar: 'g.png', notice: 'hi', owner: 'u2', muted_all: true }));
        await store.updateGroup(a, 'g1', { dismissed: true });
        const after1 = await store.getGroup(a, 'g1');
        assert.equal(after1?.dismissed, true);
        assert.equal(after1?.muted_all, true);
        await rejectsKind(store.updateGroup(b, 'g1', { name: 'x' }), 'not_found');
      });
    });

    describe('conversations and members', () => {
      it('ensureConversation creates once and returns the existing row afterwards', async () => {
        const app = newApp();
        const c = await store.ensureConversation(app, 'g:c1', 'group', T0);
        assert.deepEqual(clean(c), { app_id: app, conv_id: 'g:c1', type: 'group', last_seq: 0, updated_at: T0 });
        await store.addMembers([memberRow(app, 'g:c1', 'u1')]);
        await store.commitMessages([msg(app, 'g:c1', 1, 'u1')]);
        const again = await store.ensureConversation(app, 'g:c1', 'group', T0 + 99_999);
        assert.equal(again.last_seq, 1);
        assert.equal(again.last_message?.seq, 1);
        assert.deepEqual(clean(await store.getConversation(app, 'g:c1')), clean(again));
        assert.equal(await store.getConversation(app, 'g:other'), null);
      });

      it('addMembers inserts new rows and leaves existing rows unchanged', async () => {
        const app = newApp();
        await store.ensureConversation(app, 'g:c', 'group', T0);
        await store.addMembers([memberRow(app, 'g:c', 'u1', { role: 'owner' }), memberRow(app, 'g:c', 'u2')]);
        await store.addMembers([memberRow(app, 'g:c', 'u1', { role: 'member', join_seq: 7, pinned: true }), memberRow(app, 'g:c', 'u3', { join_seq: 4 })]);
        assert.deepEqual(clean(await store.getMember(app, 'g:c', 'u1')), clean(memberRow(app, 'g:c', 'u1', { role: 'owner' })));
        assert.deepEqual(clean(await store.getMember(app, 'g:c', 'u3')), clean(memberRow(app, 'g:c', 'u3', { join_seq: 4 })));
        assert.equal(await store.countMembers(app, 'g:c'), 3);
        assert.deepEqual((await store.listMembers(app, 'g:c')).map((m) => m.user_id).sort(), ['u1', 'u2', 'u3']);
        await store.addMembers([]);
        await store.removeMember(app, 'g:c', 'u2');
        await store.removeMember(app, 'g:c', 'u2');
        assert.equal(await store.getMember(app, 'g:c', 'u2'), null);
        assert.equal(await store.countMembers(app, 'g:c'), 2);
        assert.equal(await store.countMembers(app, 'g:none'), 0);
      });

      it('updateMember patches only the given settings; a missing member is not_found', async () => {
        const app = newApp();
        await conv(app, 'g:c', ['u1']);
        await store.updateMember(app, 'g:c', 'u1', { pinned: true, muted: true });
        await store.updateMember(app, 'g:c', 'u1', { role: 'admin', muted_until: T0 + 60_000 });
        await store.updateMember(app, 'g:c', 'u1', { hidden: true, muted: false });
        assert.deepEqual(clean(await store.getMember(app, 'g:c', 'u1')),
          clean(memberRow(app, 'g:c', 'u1', { role: 'admin', muted_until: T0 + 60_000, pinned: true, muted: false, hidden: true })));
        await rejectsKind(store.updateMember(app, 'g:c', 'ghost', { pinned: true }), 'not_found');
      });

      it('markRead is monotonic and capped at last_seq; a non-member is not_found', async () => {
        const app = newApp();
        await conv(app, 'g:c', ['u1', 'u2']);
        assert.equal(await store.markRead(app, 'g:c', 'u2', 3), 0); // nothing committed yet
        await store.commitMessages([1, 2, 3, 4, 5].map((s) => msg(app, 'g:c', s, 'u1')));
        assert.equal(await store.markRead(app, 'g:c', 'u2', 3), 3);
        assert.equal(await store.markRead(app, 'g:c', 'u2', 2), 3);
        assert.equal(await store.markRead(app, 'g:c', 'u2', 99), 5);
        assert.equal((await store.getMember(app, 'g:c', 'u2'))?.read_seq, 5);
        await rejectsKind(store.markRead(app, 'g:c', 'ghost', 1), 'not_found');
      });

      it('listMemberConversations is the user\'s list with last_seq, last_message and settings', async () => {
        const [app, other] = [newApp(), newApp()];
        await conv(app, 's:u1:u2', ['u1', 'u2']);
        await conv(app, 'g:team', ['u1', 'u3']);
        await conv(app, 'g:notmine', ['u2']);
        await conv(other, 'g:team', ['u1']);
        await store.commitMessages([text(app, 's:u1:u2', 1, 'u2', 'hi'), text(app, 's:u1:u2', 2, 'u2', 'there')]);
        await store.updateMember(app, 'g:team', 'u1', { pinned: true, hidden: true });
        const list = await store.listMemberConversations(app, 'u1');
        assert.deepEqual(list.map((r) => r.conv_id).sort(), ['g:team', 's:u1:u2']);
        const single = list.find((r) => r.conv_id === 's:u1:u2')!;
        assert.equal(single.type, 'single');
        assert.equal(single.last_seq, 2);
        assert.equal(single.read_seq, 0);
        assert.equal(single.user_id, 'u1');
        assert.deepEqual(clean(single.last_message), clean(text(app, 's:u1:u2', 2, 'u2', 'there')));
        assert.equal(single.updated_at, T0 + 2000);
        const group = list.find((r) => r.conv_id === 'g:team')!;
        assert.equal(group.type, 'group');
        assert.equal(group.last_seq, 0);
        assert.equal(group.last_message, undefined);
        assert.equal(group.pinned, true);
        assert.equal(group.hidden, true);
        assert.deepEqual(await store.listMemberConversations(app, 'nobody'), []);
      });

      it('readersAtLeast lists members whose read_seq reached the seq', async () => {
        const app = newApp();
        await conv(app, 'g:c', ['u1', 'u2', 'u3', 'u4']);
        await store.commitMessages([1, 2, 3].map((s) => msg(app, 'g:c', s, 'u1')));
        await store.markRead(app, 'g:c', 'u2', 2);
        await store.markRead(app, 'g:c', 'u3', 1);
        assert.deepEqual((await store.readersAtLeast(app, 'g:c', 2)).sort(), ['u1', 'u2']);
        assert.deepEqual((await store.readersAtLeast(app, 'g:c', 1)).sort(), ['u1', 'u2', 'u3']);
        assert.deepEqual(await store.readersAtLeast(app, 'g:c', 4), []);
      });
    });

    describe('messages', () => {
      it('commitMessages stores every field; getMessage reads it back', async () => {
        const app = newApp();
        await conv(app, 'g:c', ['u1']);
        const full = msg(app, 'g:c', 1, 'u1', {
          type: 'link', content: { url: 'https://x.test', title: 'T', description: 'D' }, mentions: ['u2', 'u3'], reply_to: 0, edited_at: T0 + 5,
        });
        const bare = msg(app, 'g:c', 2, 'u1', { type: 'custom', content: { data: { nested: [1, { a: null }], s: '引号"\\' } } });
        await store.commitMessages([full, bare]);
        assert.deepEqual(clean(await store.getMessage(app, 'g:c', 1)), clean(full));
        const got = await store.getMessage(app, 'g:c', 2);
        assert.deepEqual(clean(got), clean(bare));
        assert.equal(got?.mentions, undefined);
        assert.equal(got?.reply_to, undefined);
        assert.equal(got?.edited_at, undefined);
        assert.equal(await store.getMessage(app, 'g:c', 3), null);
        await store.commitMessages([]);
      });

      it('a batch over two conversations sets each last_seq/last_message and advances only senders\' read_seq', async () => {
        const app = newApp();
        await conv(app, 'g:a', ['u1', 'u2']);
        await conv(app, 'g:b', ['u1', 'u2']);
        // not in seq order on purpose: the preview is the highest seq, not the last in the array
        await store.commitMessages([msg(app, 'g:a', 3, 'u1'), msg(app, 'g:a', 1, 'u2'), msg(app, 'g:b', 1, 'u2'), msg(app, 'g:a', 2, 'u1')]);
        const a = await store.getConversation(app, 'g:a');
        assert.equal(a?.last_seq, 3);
        assert.deepEqual(clean(a?.last_message), clean(msg(app, 'g:a', 3, 'u1')));
        assert.equal(a?.updated_at, T0 + 3000);
        assert.equal((await store.getConversation(app, 'g:b'))?.last_seq, 1);
        assert.equal((await store.getMember(app, 'g:a', 'u1'))?.read_seq, 3);
        assert.equal((await store.getMember(app, 'g:a', 'u2'))?.read_seq, 1);
        assert.equal((await store.getMember(app, 'g:b', 'u1'))?.read_seq, 0);
        assert.equal((await store.getMember(app, 'g:b', 'u2'))?.read_seq, 1);
        // a lower seq committed late (its batch was slower) never moves last_seq, the preview or read_seq back
        await store.commitMessages([msg(app, 'g:b', 3, 'u2')]);
        await store.commitMessages([msg(app, 'g:b', 2, 'u2')]);
        const b = await store.getConversation(app, 'g:b');
        assert.equal(b?.last_seq, 3);
        assert.equal(b?.last_message?.seq, 3);
        assert.equal((await store.getMember(app, 'g:b', 'u2'))?.read_seq, 3);
      });

      it('a batch containing an already stored cmid reports the original and stores the rest', async () => {
        const app = newApp();
        await conv(app, 'g:c', ['u1', 'u2']);
        await conv(app, 'g:other', ['u2']);
        const original = msg(app, 'g:c', 1, 'u1', { cmid: 'x' });
        assert.deepEqual(await store.commitMessages([original]), { duplicates: [], conflicts: [], not_members: [] });
        // the resend has a higher seq than everything else, so it would have moved last_seq and the preview
        const resend = msg(app, 'g:c', 4, 'u1', { cmid: 'x', msg_id: 'mid-resend', content: { text: 'resent' }, created_at: T0 + 99_000 });
        const batch = [msg(app, 'g:other', 1, 'u2'), msg(app, 'g:c', 2, 'u2'), resend];
        const result = await store.commitMessages(batch);
        assert.deepEqual(clean(result), clean({ duplicates: [original], conflicts: [], not_members: [] }));
        assert.deepEqual(clean(await store.getMessage(app, 'g:c', 2)), clean(batch[1]));
        assert.deepEqual(clean(await store.getMessage(app, 'g:other', 1)), clean(batch[0]));
        assert.equal((await store.getConversation(app, 'g:other'))?.last_seq, 1);
        assert.equal(await store.getMessage(app, 'g:c', 4), null, 'the duplicate is not stored');
        assert.equal(await store.maxSeq(app, 'g:c'), 2, 'its seq is a gap');
        const c = await store.getConversation(app, 'g:c');
        assert.equal(c?.last_seq, 2, 'a duplicate does not move last_seq');
        assert.equal(c?.last_message?.seq, 2);
        assert.equal(c?.updated_at, T0 + 2000);
        assert.equal((await store.getMember(app, 'g:c', 'u1'))?.read_seq, 1, 'nor the sender\'s read_seq');
        assert.equal((await store.getMember(app, 'g:c', 'u2'))?.read_seq, 2);
        assert.deepEqual(clean(await store.findByCmid(app, 'u1', 'x')), clean(original));
        assert.deepEqual(seqs(await store.history({ app_id: app, conv_id: 'g:c', user_id: 'u1', limit: 10 })), [2, 1]);
      });

      it('a batch of only duplicates stores and moves nothing', async () => {
        const app = newApp();
        await conv(app, 'g:c', ['u1']);
        const original = text(app, 'g:c', 1, 'u1', 'searchable original', { cmid: 'x' });
        await store.commitMessages([original]);
        const result = await store.commitMessages([text(app, 'g:c', 2, 'u1', 'searchable resend', { cmid: 'x' })]);
        assert.deepEqual(clean(result), clean({ duplicates: [original], conflicts: [], not_members: [] }));
        assert.equal(await store.maxSeq(app, 'g:c'), 1);
        assert.equal((await store.getConversation(app, 'g:c'))?.last_seq, 1);
        assert.equal((await store.getMember(app, 'g:c', 'u1'))?.read_seq, 1);
        // nothing of the duplicate reaches the full-text index
        assert.deepEqual((await store.search({ app_id: app, user_id: 'u1', text: 'searchable', limit: 10 })).map((m) => m.cmid), ['x']);
        assert.equal((await store.search({ app_id: app, user_id: 'u1', text: 'resend', limit: 10 })).length, 0);
        // a later new message is stored and indexed normally
        await store.commitMessages([text(app, 'g:c', 3, 'u1', 'searchable later', { cmid: 'y' })]);
        assert.deepEqual((await store.search({ app_id: app, user_id: 'u1', text: 'searchable', limit: 10 })).map((m) => m.cmid), ['y', 'x']);
      });

      it('a cmid repeated inside one batch stores the first and reports it for the repeat', async () => {
        const app = newApp();
        await conv(app, 'g:c', ['u1', 'u2']);
        const first = msg(app, 'g:c', 1, 'u1', { cmid: 'same' });
        const batch = [first, msg(app, 'g:c', 2, 'u2'), msg(app, 'g:c', 3, 'u1', { cmid: 'same' }), msg(app, 'g:c', 4, 'u1', { cmid: 'same' })];
        const result = await store.commitMessages(batch);
        assert.deepEqual(clean(result), clean({ duplicates: [first, first], conflicts: [], not_members: [] }));
        assert.deepEqual(clean(await store.getMessage(app, 'g:c', 1)), clean(first));
        assert.equal(await store.getMessage(app, 'g:c', 3), null);
        assert.equal(await store.getMessage(app, 'g:c', 4), null);
        assert.equal(await store.maxSeq(app, 'g:c'), 2);
        assert.equal((await store.getConversation(app, 'g:c'))?.last_seq, 2);
        assert.equal((await store.getMember(app, 'g:c', 'u1'))?.read_seq, 1);
      });

      it('a reused seq is reported per message; the rest of the batch is stored', async () => {
        const app = newApp();
        await conv(app, 'g:c', ['u1', 'u2']);
        await store.commitMessages([msg(app, 'g:c', 1, 'u1')]);
        const taken = msg(app, 'g:c', 1, 'u1', { cmid: 'fresh' });
        const twice = msg(app, 'g:c', 3, 'u2', { cmid: 'other' });
        // a duplicate cmid wins over its taken seq: reported as a duplicate, not as a conflict
        const resend = msg(app, 'g:c', 2, 'u1', { cmid: 'cmid-g:c-1' });
        const result = await store.commitMessages([msg(app, 'g:c', 2, 'u2', { cmid: 'ok2' }), taken, msg(app, 'g:c', 3, 'u1', { cmid: 'ok3' }), twice, resend]);
        assert.equal(result.conflicts.length, 2);
        assert.equal(result.conflicts[0], taken, 'the very object given');
        assert.equal(result.conflicts[1], twice);
        assert.deepEqual(result.duplicates.map((m) => m.seq), [1]);
        assert.deepEqual(seqs(await store.history({ app_id: app, conv_id: 'g:c', user_id: 'u1', limit: 10 })), [3, 2, 1]);
        assert.equal((await store.getMessage(app, 'g:c', 1))?.cmid, 'cmid-g:c-1');
        assert.equal((await store.getMessage(app, 'g:c', 3))?.cmid, 'ok3');
        assert.equal(await store.findByCmid(app, 'u1', 'fresh'), null);
        assert.equal(await store.findByCmid(app, 'u2', 'other'), null);
        assert.equal((await store.getConversation(app, 'g:c'))?.last_message?.cmid, 'ok3');
        // a conflicting message moves nothing: u2's read_seq is that of what u2 stored (2), not the refused 3
        assert.equal((await store.getMember(app, 'g:c', 'u2'))?.read_seq, 2);
        // re-sequenced, the refused messages are stored
        const again = await store.commitMessages([{ ...taken, seq: 4 }, { ...twice, seq: 5 }]);
        assert.deepEqual(again, { duplicates: [], conflicts: [], not_members: [] });
        assert.equal(await store.maxSeq(app, 'g:c'), 5);
        assert.equal((await store.getMember(app, 'g:c', 'u2'))?.read_seq, 5);
      });

      it('a batch of only conflicts stores and moves nothing', async () => {
        const app = newApp();
        await conv(app, 'g:c', ['u1']);
        await store.commitMessages([text(app, 'g:c', 1, 'u1', 'kept')]);
        const refused = text(app, 'g:c', 1, 'u1', 'searchable refused', { cmid: 'late' });
        assert.deepEqual(await store.commitMessages([refused]), { duplicates: [], conflicts: [refused], not_members: [] });
        assert.equal((await store.getMessage(app, 'g:c', 1))?.cmid, 'cmid-g:c-1');
        assert.equal((await store.getConversation(app, 'g:c'))?.last_message?.cmid, 'cmid-g:c-1');
        assert.equal((await store.search({ app_id: app, user_id: 'u1', text: 'refused', limit: 10 })).length, 0);
      });

      it('cmid is unique per (app, sender) only', async () => {
        const [a, b] = [newApp(), newApp()];
        await conv(a, 'g:c', ['u1', 'u2']);
        await conv(b, 'g:c', ['u1']);
        await store.commitMessages([msg(a, 'g:c', 1, 'u1', { cmid: 'k' }), msg(a, 'g:c', 2, 'u2', { cmid: 'k' })]);
        await store.commitMessages([msg(b, 'g:c', 1, 'u1', { cmid: 'k' })]);
        assert.equal((await store.findByCmid(a, 'u1', 'k'))?.seq, 1);
        assert.equal((await store.findByCmid(a, 'u2', 'k'))?.seq, 2);
        assert.equal((await store.findByCmid(b, 'u1', 'k'))?.app_id, b);
        assert.equal(await store.findByCmid(a, 'u3', 'k'), null);
        assert.equal(await store.findByCmid(b, 'u2', 'k'), null);
      });

      it('committing to a conversation that was never ensured creates its row', async () => {
        const app = newApp();
        await store.commitMessages([msg(app, 'n:u1', 1, 'system', { type: 'notice', content: { kind: 'system', text: 'hello' } })]);
        const c = await store.getConversation(app, 'n:u1');
        assert.equal(c?.type, 'notification');
        assert.equal(c?.last_seq, 1);
      });

      it('maxSeq is 0 for an empty conversation and the highest committed seq after', async () => {
        const app = newApp();
        assert.equal(await store.maxSeq(app, 'g:c'), 0);
        await conv(app, 'g:c', ['u1']);
        await store.commitMessages([msg(app, 'g:c', 4, 'u1'), msg(app, 'g:c', 9, 'u1')]); // gaps are allowed
        assert.equal(await store.maxSeq(app, 'g:c'), 9);
      });

      it('history: newest first below before, oldest first above after (after wins), limit', async () => {
        const app = newApp();
        await conv(app, 'g:c', ['u1']);
        await store.commitMessages([1, 2, 3, 4, 5, 6].map((s) => msg(app, 'g:c', s, 'u1')));
        const h = (q: { before?: number; after?: number; limit?: number }) =>
          store.history({ app_id: app, conv_id: 'g:c', user_id: 'u1', limit: q.limit ?? 50, before: q.before, after: q.after }).then(seqs);
        assert.deepEqual(await h({}), [6, 5, 4, 3, 2, 1]);
        assert.deepEqual(await h({ limit: 2 }), [6, 5]);
        assert.deepEqual(await h({ before: 4 }), [3, 2, 1]);
        assert.deepEqual(await h({ before: 4, limit: 2 }), [3, 2]);
        assert.deepEqual(await h({ after: 4 }), [5, 6]);
        assert.deepEqual(await h({ after: 0, limit: 2 }), [1, 2]);
        assert.deepEqual(await h({ after: 2, before: 4 }), [3, 4, 5, 6]);
        assert.deepEqual(await h({ after: 6 }), []);
        assert.deepEqual(await h({ limit: 0 }), []);
        const first = (await store.history({ app_id: app, conv_id: 'g:c', user_id: 'u1', limit: 1 }))[0];
        assert.deepEqual(clean(first), clean(msg(app, 'g:c', 6, 'u1')));
      });

      it('history: bounded by join_seq, hides delete-for-me rows, returns recalled messages, nothing for non-members', async () => {
        const app = newApp();
        await conv(app, 'g:c', ['u1', 'late'], { late: 4 });
        await store.commitMessages([1, 2, 3, 4, 5, 6].map((s) => msg(app, 'g:c', s, 'u1')));
        const h = (user: string, q: { before?: number; after?: number } = {}) =>
          store.history({ app_id: app, conv_id: 'g:c', user_id: user, limit: 50, ...q }).then(seqs);
        assert.deepEqual(await h('late'), [6, 5, 4]);
        assert.deepEqual(await h('late', { after: 0 }), [4, 5, 6]);
        assert.deepEqual(await h('late', { before: 5 }), [4]);
        await store.hideMessageFor(app, 'g:c', 5, 'late');
        await store.hideMessageFor(app, 'g:c', 5, 'late'); // idempotent
        assert.deepEqual(await h('late'), [6, 4]);
        assert.deepEqual(await h('u1'), [6, 5, 4, 3, 2, 1]);
        await store.recallMessage(app, 'g:c', 2, { at: T0 + 10 });
        const rows = await store.history({ app_id: app, conv_id: 'g:c', user_id: 'u1', after: 1, limit: 1 });
        assert.equal(rows[0]?.seq, 2);
        assert.equal(rows[0]?.status, 'recalled');
        assert.deepEqual(await h('stranger'), []);
        await rejectsKind(store.hideMessageFor(app, 'g:c', 99, 'u1'), 'not_found');
      });

      it('recallMessage marks the message and, when it is the last one, the conversation preview', async () => {
        const app = newApp();
        await conv(app, 'g:c', ['u1']);
        await store.commitMessages([msg(app, 'g:c', 1, 'u1'), msg(app, 'g:c', 2, 'u1')]);
        assert.equal((await store.recallMessage(app, 'g:c', 1, { at: T0 + 10 })).ok, true);
        assert.equal((await store.getMessage(app, 'g:c', 1))?.status, 'recalled');
        assert.equal((await store.getConversation(app, 'g:c'))?.last_message?.status, 'normal');
        assert.equal((await store.recallMessage(app, 'g:c', 2, { at: T0 + 11 })).ok, true);
        assert.equal((await store.getConversation(app, 'g:c'))?.last_message?.status, 'recalled');
        assert.equal((await store.listMemberConversations(app, 'u1'))[0]?.last_message?.status, 'recalled');
        assert.deepEqual(await store.recallMessage(app, 'g:c', 3, { at: T0 }), { ok: false, reason: 'not_found' });
      });
    });

    describe('search', () => {
      const find = (app: string, user: string, q: string, more: Record<string, unknown> = {}) =>
        store.search({ app_id: app, user_id: user, text: q, limit: 50, ...more }).then(seqs);

      it('English: case-insensitive substring, newest first, limit', async () => {
        const app = newApp();
        await conv(app, 'g:c', ['u1']);
        await store.commitMessages([
          text(app, 'g:c', 1, 'u1', 'The Quarterly report is ready'),
          text(app, 'g:c', 2, 'u1', 'lunch?'),
          text(app, 'g:c', 3, 'u1', 'quarterly numbers attached'),
        ]);
        assert.deepEqual(await find(app, 'u1', 'QUARTERLY'), [3, 1]);
        assert.deepEqual(await find(app, 'u1', 'report is'), [1]);
        assert.deepEqual(await find(app, 'u1', 'port'), [1]);
        assert.deepEqual(await find(app, 'u1', 'quarterly', { limit: 1 }), [3]);
        assert.deepEqual(await find(app, 'u1', 'dinner'), []);
        assert.deepEqual(await find(app, 'u1', '   '), []);
        const hit = (await store.search({ app_id: app, user_id: 'u1', text: 'lunch', limit: 5 }))[0];
        assert.deepEqual(clean(hit), clean(text(app, 'g:c', 2, 'u1', 'lunch?')));
      });

      it('Chinese: phrases of 3+ characters and 2-character words', async () => {
        const app = newApp();
        await conv(app, 'g:c', ['u1']);
        await store.commitMessages([text(app, 'g:c', 1, 'u1', '我们明天去北京开会'), text(app, 'g:c', 2, 'u1', '上海见'), text(app, 'g:c', 3, 'u1', '北京烤鸭')]);
        assert.deepEqual(await find(app, 'u1', '北京开会'), [1]);
        assert.deepEqual(await find(app, 'u1', '北京'), [3, 1]);
        assert.deepEqual(await find(app, 'u1', '京开'), [1]);
        assert.deepEqual(await find(app, 'u1', '海'), [2]);
        assert.deepEqual(await find(app, 'u1', '广州'), []);
        assert.deepEqual(await find(app, 'u1', '北京', { limit: 1 }), [3]);
      });

      it('indexes text, file names and link title/description; not notices, custom or images', async () => {
        const app = newApp();
        await conv(app, 'g:c', ['u1']);
        await store.commitMessages([
          msg(app, 'g:c', 1, 'u1', { type: 'file', content: { url: 'u', name: 'budget-2025.xlsx', size: 1 } }),
          msg(app, 'g:c', 2, 'u1', { type: 'link', content: { url: 'https://findme.test/zz', title: 'Launch plan', description: 'rocket schedule' } }),
          msg(app, 'g:c', 3, 'u1', { type: 'notice', content: { kind: 'group_renamed', by: 'u1', name: 'budget' } }),
          msg(app, 'g:c', 4, 'u1', { type: 'custom', content: { data: { text: 'budget' } } }),
          msg(app, 'g:c', 5, 'u1', { type: 'image', content: { url: 'budget.png', size: 1, width: 1, height: 1 } }),
        ]);
        assert.deepEqual(await find(app, 'u1', 'budget'), [1]);
        assert.deepEqual(await find(app, 'u1', 'xlsx'), [1]);
        assert.deepEqual(await find(app, 'u1', 'launch'), [2]);
        assert.deepEqual(await find(app, 'u1', 'rocket'), [2]);
        assert.deepEqual(await find(app, 'u1', 'findme'), []);
        assert.deepEqual(await find(app, 'u1', 'bu'), [1]);
      });

      it('is scoped to the reader: membership, join_seq, delete-for-me, recalled, app', async () => {
        const [app, other] = [newApp(), newApp()];
        await conv(app, 'g:c', ['u1', 'u2', 'late'], { late: 3 });
        await conv(app, 'g:private', ['u2']);
        await store.commitMessages([
          text(app, 'g:c', 1, 'u1', '北京 meeting one'), text(app, 'g:c', 2, 'u1', '北京 meeting two'),
          text(app, 'g:c', 3, 'u1', '北京 meeting three'), text(app, 'g:private', 1, 'u2', '北京 meeting secret'),
        ]);
        await conv(other, 'g:c', ['u1']);
        for (const q of ['meeting', '北京']) {
          assert.deepEqual(await find(app, 'u1', q), [3, 2, 1], q);
          assert.deepEqual(await find(app, 'late', q), [3], q);
          assert.deepEqual(await find(app, 'stranger', q), [], q);
          assert.deepEqual(await find(other, 'u1', q), [], q);
          assert.equal((await store.search({ app_id: app, user_id: 'u2', text: q, limit: 10 })).length, 4, q);
        }
        await store.hideMessageFor(app, 'g:c', 3, 'u1');
        await store.recallMessage(app, 'g:c', 1, { at: T0 });
        for (const q of ['meeting', '北京']) {
          assert.deepEqual(await find(app, 'u1', q), [2], q);
          assert.deepEqual(await find(app, 'late', q), [3], q);
        }
        await store.removeMember(app, 'g:c', 'u1');
        assert.deepEqual(await find(app, 'u1', 'meeting'), []);
      });

      it('filters by conversation, sender, type and time (since/until inclusive), newest first across conversations', async () => {
        const app = newApp();
        await conv(app, 'g:a', ['u1', 'u2']);
        await conv(app, 'g:b', ['u1', 'u2']);
        await store.commitMessages([
          text(app, 'g:a', 1, 'u1', 'alpha budget', { created_at: T0 + 10 }),
          text(app, 'g:b', 1, 'u2', 'beta budget', { created_at: T0 + 30 }),
          text(app, 'g:a', 2, 'u2', 'gamma budget', { created_at: T0 + 20 }),
          msg(app, 'g:b', 2, 'u1', { type: 'file', content: { url: 'x', name: 'budget.pdf', size: 1 }, created_at: T0 + 40 }),
        ]);
        const hits = async (more: Record<string, unknown>, q = 'budget') =>
          (await store.search({ app_id: app, user_id: 'u1', text: q, limit: 50, ...more })).map((m) => `${m.conv_id}#${m.seq}`);
        for (const q of ['budget', 'bu']) {
          assert.deepEqual(await hits({}, q), ['g:b#2', 'g:b#1', 'g:a#2', 'g:a#1'], q);
          assert.deepEqual(await hits({ conv_id: 'g:a' }, q), ['g:a#2', 'g:a#1'], q);
          assert.deepEqual(await hits({ sender: 'u2' }, q), ['g:b#1', 'g:a#2'], q);
          assert.deepEqual(await hits({ type: 'file' }, q), ['g:b#2'], q);
          assert.deepEqual(await hits({ since: T0 + 20, until: T0 + 30 }, q), ['g:b#1', 'g:a#2'], q);
          assert.deepEqual(await hits({ since: T0 + 31 }, q), ['g:b#2'], q);
          assert.deepEqual(await hits({ until: T0 + 10 }, q), ['g:a#1'], q);
          assert.deepEqual(await hits({ conv_id: 'g:b', sender: 'u1', type: 'text' }, q), [], q);
          assert.deepEqual(await hits({ limit: 2 }, q), ['g:b#2', 'g:b#1'], q);
        }
      });

      it('treats query text literally: quotes, operators and wildcards never error or over-match', async () => {
        const app = newApp();
        await conv(app, 'g:c', ['u1']);
        await store.commitMessages([
          text(app, 'g:c', 1, 'u1', 'she said "hello" AND( left'),
          text(app, 'g:c', 2, 'u1', '100% sure_thing'),
          text(app, 'g:c', 3, 'u1', 'plain words here'),
        ]);
        assert.deepEqual(await find(app, 'u1', '"hello"'), [1]);
        assert.deepEqual(await find(app, 'u1', 'AND('), [1]);
        assert.deepEqual(await find(app, 'u1', '%'), [2]);
        assert.deepEqual(await find(app, 'u1', '_'), [2]);
        assert.deepEqual(await find(app, 'u1', '0% s'), [2]);
        for (const q of ['"', '""', '" OR "', 'AND', 'NEAR(a b)', '*', 'plain*', 'a OR b', "'", '\\', 'body:x', '(', ')', '^pla', '-', '%%%', '__', 'NOT plain', '{body}:x']) {
          const rows = await store.search({ app_id: app, user_id: 'u1', text: q, limit: 10 });
          for (const m of rows) {
            assert.ok((m.content as { text: string }).text.toLowerCase().includes(q.trim().toLowerCase()), `${q} matched ${JSON.stringify(m.content)}`);
          }
        }
      });
    });

    describe('app isolation', () => {
      it('identical ids in two apps never see or change each other\'s rows', async () => {
        const [a, b] = [newApp(), newApp()];
        for (const app of [a, b]) {
          await store.createUser(userRow(app, 'u1', { name: `one of ${app}` }));
          await store.createUser(userRow(app, 'u2'));
          await store.addFriend(app, 'u1', 'u2', T0);
          await store.block(app, 'u2', 'u1', T0);
          await store.createGroup({ app_id: app, group_id: 'g', name: app, notice: '', owner: 'u1', muted_all: false, dismissed: false, max_members: 10, created_at: T0 },
            'g:g', [memberRow(app, 'g:g', 'u1'), memberRow(app, 'g:g', 'u2')]);
        }
        await store.commitMessages([text(a, 'g:g', 1, 'u1', 'only in app a', { cmid: 'c1' }), text(a, 'g:g', 2, 'u1', 'second a', { cmid: 'c2' })]);
        await store.commitMessages([text(b, 'g:g', 1, 'u1', 'only in app b', { cmid: 'c1' })]);

        await store.markRead(a, 'g:g', 'u2', 2);
        await store.updateMember(a, 'g:g', 'u2', { pinned: true });
        await store.hideMessageFor(a, 'g:g', 1, 'u2');
        await store.recallMessage(a, 'g:g', 1, { at: T0 });
        await store.updateUser(a, 'u2', { name: 'renamed' });
        await store.updateGroup(a, 'g', { muted_all: true });
        await store.removeFriend(a, 'u1', 'u2');
        await store.unblock(a, 'u2', 'u1');
        await store.removeMember(a, 'g:g', 'u1');

        assert.equal((await store.getUser(b, 'u1'))?.name, `one of ${b}`);
        assert.equal((await store.getUser(b, 'u2'))?.name, 'u2');
        assert.deepEqual((await store.getUsers(b, ['u1', 'u2'])).map((u) => u.app_id), [b, b]);
        assert.deepEqual((await store.searchUsers(b, 'one of', 10)).map((u) => u.app_id), [b]);
        assert.equal(await store.isFriend(b, 'u1', 'u2'), true);
        assert.deepEqual(await store.listFriends(b, 'u1'), ['u2']);
        assert.equal(await store.isBlocked(b, 'u2', 'u1'), true);
        assert.deepEqual(await store.listBlocked(b, 'u2'), ['u1']);
        assert.equal((await store.getGroup(b, 'g'))?.muted_all, false);
        assert.equal((await store.getConversation(b, 'g:g'))?.last_seq, 1);
        assert.equal(await store.maxSeq(b, 'g:g'), 1);
        assert.equal(await store.countMembers(b, 'g:g'), 2);
        assert.deepEqual((await store.listMembers(b, 'g:g')).map((m) => m.app_id), [b, b]);
        const bu2 = await store.getMember(b, 'g:g', 'u2');
        assert.equal(bu2?.read_seq, 0);
        assert.equal(bu2?.pinned, false);
        assert.deepEqual(await store.readersAtLeast(b, 'g:g', 1), ['u1']);
        assert.deepEqual((await store.listMemberConversations(b, 'u2')).map((r) => [r.app_id, r.last_seq]), [[b, 1]]);
        assert.deepEqual((await store.findByCmid(b, 'u1', 'c1'))?.content, { text: 'only in app b' });
        assert.equal((await store.getMessage(b, 'g:g', 1))?.status, 'normal');
        assert.equal(await store.findByCmid(b, 'u1', 'c2'), null);
        assert.deepEqual((await store.getMessage(b, 'g:g', 1))?.content, { text: 'only in app b' });
        assert.deepEqual(seqs(await store.history({ app_id: b, conv_id: 'g:g', user_id: 'u2', limit: 10 })), [1]);
        assert.deepEqual((await store.search({ app_id: b, user_id: 'u2', text: 'only in app', limit: 10 })).map((m) => m.app_id), [b]);
        assert.deepEqual(await store.search({ app_id: b, user_id: 'u2', text: 'second', limit: 10 }), []);
        assert.deepEqual(await store.search({ app_id: a, user_id: 'u1', text: 'app b', limit: 10 }), []);
      });
    });
  });
}
