import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { groupConvId, singleConvId } from '@parley/protocol';
import { outcome, payloadsTo, startTwoCores, until, type Node, type TwoCores } from './two-cores.js';

/**
 * Two cores on one store and one control hub stay consistent: whatever one
 * changes, the other's caches follow through the control plane — and a
 * reset makes a core forget what it may have missed.
 */
describe('caches across two cores on one store', () => {
  let t: TwoCores;
  let cmid = 0;
  const send = (n: Node, sender: string, conv_type: 'single' | 'group', to: string) =>
    n.core.pipeline.send({ app_id: t.appId, sender, cmid: `m${++cmid}`, conv_type, to, type: 'text', content: { text: `hi ${cmid}` } });

  before(async () => {
    t = await startTwoCores();
    for (const u of ['owner', 'u1', 'u2', 'u3', 'u4', 'w1', 'w2', 'r1', 'r2', 'r3', 'r4', 'n1', 'n2']) await t.a.core.users.create(t.appId, { user_id: u });
  });
  after(async () => t.close());

  it('a member removed on A can no longer send or read on B; a member added on A can on B', async () => {
    const g = await t.a.core.groups.create(t.appId, { system: true }, { owner: 'owner', name: 'team', members: ['u1', 'u2'] });
    const conv = groupConvId(g.group_id);
    // B caches the member list and the group row by serving u2 and refusing u4.
    assert.equal(await outcome(send(t.b, 'u2', 'group', g.group_id)), 'ok');
    assert.equal(await outcome(send(t.b, 'u4', 'group', g.group_id)), 'not_member');

    await t.a.core.groups.removeMember(t.appId, { system: true }, g.group_id, 'u2');
    await t.a.core.groups.addMembers(t.appId, { system: true }, g.group_id, ['u4']);
    await until(async () => (await outcome(t.b.core.groups.route(t.appId, 'u2', g.group_id))) === 'not_member', 'B refuses the removed member');
    assert.equal(await outcome(send(t.b, 'u2', 'group', g.group_id)), 'not_member');
    assert.equal(await outcome(t.b.core.box.history(t.appId, 'u2', conv, {})), 'not_member');
    assert.equal(await outcome(send(t.b, 'u4', 'group', g.group_id)), 'ok', 'B accepts the added member');
    assert.equal((await t.b.core.groups.members(t.appId, g.group_id)).length, 3);
  });

  it('mute-all and dismiss on A are enforced on B (group row cache)', async () => {
    const g = await t.a.core.groups.create(t.appId, { system: true }, { owner: 'owner', name: 'quiet', members: ['u1'] });
    assert.equal(await outcome(send(t.b, 'u1', 'group', g.group_id)), 'ok');
    await t.a.core.groups.muteAll(t.appId, { system: true }, g.group_id, true);
    await until(async () => (await outcome(send(t.b, 'u1', 'group', g.group_id))) === 'group_muted', 'B sees mute-all');
    await t.a.core.groups.dismiss(t.appId, { system: true }, g.group_id);
    await until(async () => (await outcome(send(t.b, 'owner', 'group', g.group_id))) === 'group_dismissed', 'B sees the dismissal');
  });

  it('a member muted on A is refused on B', async () => {
    const g = await t.a.core.groups.create(t.appId, { system: true }, { owner: 'owner', name: 'mutes', members: ['u3'] });
    assert.equal(await outcome(send(t.b, 'u3', 'group', g.group_id)), 'ok');
    await t.a.core.groups.muteMember(t.appId, { system: true }, g.group_id, 'u3', t.now() + 3_600_000);
    await until(async () => (await outcome(send(t.b, 'u3', 'group', g.group_id))) === 'muted', 'B sees the mute');
  });

  it('app settings changed on A are seen by B', async () => {
    assert.equal((await t.b.core.apps.get(t.appId)).settings.read_receipts, true);
    await t.a.core.apps.updateSettings(t.appId, { read_receipts: false, recall_window_sec: 30 });
    await until(async () => (await t.b.core.apps.get(t.appId)).settings.read_receipts === false, 'B sees the new settings');
    assert.equal((await t.b.core.apps.get(t.appId)).settings.recall_window_sec, 30);
    await t.a.core.apps.updateSettings(t.appId, { read_receipts: true });
    await until(async () => (await t.b.core.apps.get(t.appId)).settings.read_receipts === true, 'B sees the second change');
  });

  it('a token revoked on A cannot open a connection on B', async () => {
    const iat = t.now() - 1000;
    assert.equal(await t.b.core.users.isRevoked(t.appId, 'r1', iat), false, 'B caches the watermark');
    const first = t.open(t.b, 'r1', { tokenIat: iat });
    await until(() => t.b.core.dispatcher.sessionCount() >= 1, 'the first session on B');
    await t.a.core.users.revokeTokens(t.appId, 'r1');
    await until(() => t.b.core.users.isRevoked(t.appId, 'r1', iat), 'B sees the revocation');
    const again = t.open(t.b, 'r1', { tokenIat: iat });
    await until(() => payloadsTo(t.b.downs, again.conn_id).some((p) => p.kind === 'kick' && p.reason === 'revoked'), 'B refuses the revoked token');
    assert.equal(payloadsTo(t.b.downs, first.conn_id).filter((p) => p.kind === 'kick').length, 0, 'the earlier session was not kicked by B\'s open');
    // A token issued after the revocation still opens on B.
    const fresh = t.open(t.b, 'r1', { tokenIat: t.now() + 1000 });
    await until(async () => (await t.b.core.backends.location.lookup(t.appId, ['r1'])).some((c) => c.conn_id === fresh.conn_id), 'the fresh token opens');
  });

  it('a connection open sees a revocation before the control message does (no window)', async () => {
    const iat = t.now() - 1000;
    assert.equal(await t.b.core.users.isRevoked(t.appId, 'r4', iat), false, 'B caches the watermark');
    // Written behind the control plane's back: B has not heard of it, as during the propagation window.
    await t.store.updateUser(t.appId, 'r4', { tokens_valid_after: t.now() });
    assert.equal(await t.b.core.users.isRevoked(t.appId, 'r4', iat), false, 'the cached answer (HTTP path) is still the old one');
    const s = t.open(t.b, 'r4', { tokenIat: iat });
    await until(() => payloadsTo(t.b.downs, s.conn_id).some((p) => p.kind === 'kick' && p.reason === 'revoked'), 'B refuses the session');
    assert.equal(await t.b.core.users.isRevoked(t.appId, 'r4', iat), true, 'the fresh read raised the cache too');
  });

  it('a block on A refuses the blocked sender on B; an unblock on A lets them through again', async () => {
    assert.equal(await outcome(send(t.b, 'u1', 'single', 'u2')), 'ok', 'B caches u2\'s empty block list');
    await t.a.core.relations.block(t.appId, 'u2', 'u1');
    await until(async () => (await outcome(send(t.b, 'u1', 'single', 'u2'))) === 'blocked', 'B sees the block');
    await t.a.core.relations.unblock(t.appId, 'u2', 'u1');
    await until(async () => (await outcome(send(t.b, 'u1', 'single', 'u2'))) === 'ok', 'B sees the unblock');
  });

  it('list settings and read positions changed on A show on B', async () => {
    const conv = singleConvId('w1', 'w2');
    await send(t.a, 'w1', 'single', 'w2');
    await send(t.a, 'w1', 'single', 'w2');
    assert.equal((await t.b.core.membership.member(t.appId, conv, 'w2'))?.pinned, false, 'B caches the rows');
    assert.equal((await t.b.core.membership.member(t.appId, conv, 'w2'))?.read_seq, 0);
    await t.a.core.box.setConversation(t.appId, 'w2', conv, { pinned: true });
    await t.a.core.box.markRead(t.appId, 'w2', conv, 2);
    await until(async () => (await t.b.core.membership.member(t.appId, conv, 'w2'))?.pinned === true, 'B sees the pin');
    await until(async () => (await t.b.core.membership.member(t.appId, conv, 'w2'))?.read_seq === 2, 'B sees the read position');
    // The conversation list served by B reports the peer's read position.
    const list = await t.b.core.box.conversations(t.appId, 'w1');
    assert.equal(list.conversations.find((c) => c.conv_id === conv)?.peer_read_seq, 2);
  });

  it('conversation rows created on A are seen by B, which had cached "no members" before', async () => {
    const single = singleConvId('n1', 'n2');
    assert.equal(await outcome(t.b.core.box.history(t.appId, 'n2', single, {})), 'not_member', 'B caches the empty list');
    assert.equal(await outcome(t.b.core.box.history(t.appId, 'n1', 'n:n1', {})), 'not_member');
    await send(t.a, 'n1', 'single', 'n2');
    await t.a.core.notifications.notify(t.appId, ['n1'], 'welcome');
    await until(async () => (await outcome(t.b.core.box.history(t.appId, 'n2', single, {}))) === 'ok', 'B serves the new single chat');
    await until(async () => (await outcome(t.b.core.box.history(t.appId, 'n1', 'n:n1', {}))) === 'ok', 'B serves the notification conversation');
    assert.equal((await t.b.core.box.history(t.appId, 'n1', 'n:n1', {})).messages.length, 1);
  });

  it('a user coming online on A is pushed to a watcher on B', async () => {
    const watcher = t.open(t.b, 'u3');
    await until(() => t.b.core.dispatcher.sessionCount() > 0 && payloadsTo(t.b.downs, watcher.conn_id).length === 0, 'the watcher opened');
    await until(async () => (await t.b.core.backends.location.lookup(t.appId, ['u3'])).some((c) => c.conn_id === watcher.conn_id), 'watcher registered');
    t.b.link.up({ kind: 'frame', session: watcher, frame: { op: 'presence', id: 1, user_ids: ['r3'] } });
    await until(() => payloadsTo(t.b.downs, watcher.conn_id).some((p) => p.op === 'ok' && p.id === 1), 'the presence answer');
    t.open(t.a, 'r3');
    await until(() => payloadsTo(t.b.downs, watcher.conn_id).some((p) => p.op === 'presence' && p.user_id === 'r3' && p.online === true), 'B pushes r3 online to its watcher');
  });

  it('a reset makes a core drop what it may have missed', async () => {
    const g = await t.a.core.groups.create(t.appId, { system: true }, { owner: 'owner', name: 'reset', members: ['r2'] });
    const iat = t.now() - 1000;
    assert.equal(await outcome(send(t.b, 'r2', 'group', g.group_id)), 'ok');
    assert.equal(await outcome(send(t.b, 'r2', 'single', 'r3')), 'ok');
    assert.equal(await t.b.core.users.isRevoked(t.appId, 'r2', iat), false);
    assert.notEqual((await t.b.core.apps.get(t.appId)).settings.recall_window_sec, 77, 'B caches the app');
    // Changes B never hears of: written to the store behind every core's back, as if B's messages were lost.
    await t.store.removeMember(t.appId, groupConvId(g.group_id), 'r2');
    await t.store.block(t.appId, 'r3', 'r2', t.now());
    await t.store.updateUser(t.appId, 'r2', { tokens_valid_after: t.now() });
    const app = await t.store.getApp(t.appId);
    await t.store.updateAppSettings(t.appId, { ...app!.settings, recall_window_sec: 77 });
    // Still served from B's caches: this is what a missed message looks like —
    // except a group send, which the commit itself refuses (the store has no member row).
    assert.equal((await t.b.core.groups.members(t.appId, g.group_id)).some((m) => m.user_id === 'r2'), true, 'B\'s cache still lists r2');
    assert.equal(await outcome(send(t.b, 'r2', 'group', g.group_id)), 'not_member');
    assert.equal(await outcome(send(t.b, 'r2', 'single', 'r3')), 'ok');
    assert.equal(await t.b.core.users.isRevoked(t.appId, 'r2', iat), false);
    assert.notEqual((await t.b.core.apps.get(t.appId)).settings.recall_window_sec, 77);

    t.b.control.simulateReset();
    assert.equal(await outcome(send(t.b, 'r2', 'group', g.group_id)), 'not_member');
    assert.equal(await outcome(send(t.b, 'r2', 'single', 'r3')), 'blocked');
    assert.equal(await t.b.core.users.isRevoked(t.appId, 'r2', iat), true);
    assert.equal((await t.b.core.apps.get(t.appId)).settings.recall_window_sec, 77);
  });
});
