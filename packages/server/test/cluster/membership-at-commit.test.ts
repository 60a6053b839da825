import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { groupConvId } from '@parley/protocol';
import type { ParleyEvent } from '../../src/bus/event-bus.js';
import type { ControlMessage } from '../../src/control/control.js';
import { outcome, payloadsTo, startTwoCores, until, type Node, type TwoCores } from './two-cores.js';

/**
 * The store, not the caches, has the last word on who may post: a member
 * removed on dispatcher A who sends on dispatcher B before B has heard of the
 * removal is refused by B's commit (not_member: no ack, no push, no event).
 */
describe('membership enforced inside the commit, across two cores', () => {
  let t: TwoCores;
  const events: ParleyEvent[] = [];
  /** B's control deliveries held back while `holding` (a slow control plane) */
  let holding = false;
  const held: ControlMessage[] = [];
  let deliver: (m: ControlMessage) => void = () => {};

  before(async () => {
    t = await startTwoCores();
    for (const u of ['owner', 'stay', 'gone', 'watcher']) await t.a.core.users.create(t.appId, { user_id: u });
    await t.a.core.backends.bus.subscribe('*', (e) => void events.push(e));
    deliver = t.b.control.deliver.bind(t.b.control);
    t.b.control.deliver = (m: ControlMessage) => (holding ? void held.push(m) : deliver(m));
  });
  after(async () => {
    holding = false;
    await t?.close();
  });

  const send = (n: Node, sender: string, groupId: string, cmid: string, connId?: string) =>
    n.core.pipeline.send({ app_id: t.appId, sender, conn_id: connId, cmid, conv_type: 'group', to: groupId, type: 'text', content: { text: `text of ${cmid}` } });

  it('a member removed on A and sending on B before B hears of it is refused at commit; notices still commit', async () => {
    const g = await t.a.core.groups.create(t.appId, { system: true }, { owner: 'owner', name: 'team', members: ['stay', 'gone', 'watcher'] });
    const conv = groupConvId(g.group_id);
    const watcher = t.open(t.b, 'watcher');
    // B caches the member list (gone is a member there).
    assert.equal(await outcome(send(t.b, 'gone', g.group_id, 'before')), 'ok');

    holding = true;
    await t.a.core.groups.removeMember(t.appId, { system: true }, g.group_id, 'gone');
    await until(() => held.some((m) => m.type === 'members.changed'), 'the invalidation is on its way to B');
    assert.equal(await outcome(t.b.core.groups.route(t.appId, 'gone', g.group_id)), 'ok', 'B\'s cache still lists the removed member');
    const pushesBefore = payloadsTo(t.b.downs, watcher.conn_id).length;

    assert.equal(await outcome(send(t.b, 'gone', g.group_id, 'late')), 'not_member', 'refused by the commit');
    assert.equal(await t.store.findByCmid(t.appId, 'gone', 'late'), null, 'nothing stored');
    // B dropped its stale list on the refusal: the next send is refused before any seq is taken.
    assert.equal(await outcome(t.b.core.groups.route(t.appId, 'gone', g.group_id)), 'not_member');
    assert.equal(await outcome(send(t.b, 'gone', g.group_id, 'later')), 'not_member');
    // Reading on B: the store serves a non-member no history whatever the cache said.
    const read = await t.b.core.box.history(t.appId, 'gone', conv, {}).catch((err: { code?: string }) => err.code);
    assert.ok(read === 'not_member' || (typeof read === 'object' && read.messages.length === 0), `history for a removed member: ${JSON.stringify(read)}`);

    // Members still post, and the server's notices commit whoever they name as sender.
    assert.equal(await outcome(send(t.b, 'stay', g.group_id, 'member-ok')), 'ok');
    const notice = await t.b.core.pipeline.postNotice(t.appId, conv, 'group', 'gone', { kind: 'system', text: 'gone left' });
    assert.equal((await t.store.getMessage(t.appId, conv, notice.seq))?.sender, 'gone');

    await until(() => events.some((e) => (e.data.message as { cmid?: string } | undefined)?.cmid === 'member-ok'), 'the member\'s event');
    await t.b.core.publisher.flush();
    const cmids = events.map((e) => (e.data.message as { cmid?: string } | undefined)?.cmid);
    assert.ok(!cmids.includes('late') && !cmids.includes('later'), 'no event for a refused message');
    const pushed = payloadsTo(t.b.downs, watcher.conn_id).slice(pushesBefore).map((p) => p.msg?.cmid);
    assert.ok(pushed.includes('member-ok'), 'the member\'s message is pushed');
    assert.ok(!pushed.includes('late') && !pushed.includes('later'), 'no push for a refused message');

    holding = false;
    for (const m of held.splice(0)) deliver(m);
    await until(async () => (await t.b.core.groups.members(t.appId, g.group_id)).length === 3, 'B applies the held invalidation');
  });
});
