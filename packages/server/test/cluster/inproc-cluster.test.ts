import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { groupConvId, singleConvId, type Message } from '@parley/protocol';
import type { ParleyClient } from '@parley/sdk/node';
import { startCluster, until, type Cluster } from './inproc-cluster-rig.js';

/** Every 'message' event of a client, in order. */
function inbox(c: ParleyClient): Message[] {
  const got: Message[] = [];
  c.on('message', (m) => got.push(m));
  return got;
}

const texts = (ms: Message[], conv: string) => ms.filter((m) => m.conv_id === conv && m.type === 'text').map((m) => (m.content as { text: string }).text);

async function errorCode(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  }
}

describe('in-process cluster: 2 links × 2 dispatchers × 1 api on shared memory backends', () => {
  let c: Cluster;
  let t: Record<string, string>;

  before(async () => {
    c = await startCluster();
    t = await c.users('alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'gina');
  });
  after(async () => {
    await c?.close();
  });

  const connId = (cl: ParleyClient) => cl.session!.conn_id;

  it('1:1 and group chat across both links and both dispatchers', async () => {
    const [L1, L2] = c.links as [Cluster['links'][0], Cluster['links'][0]];
    const alice = await c.client(L1, t.alice!);
    const bob = await c.client(L2, t.bob!);
    const carol = await c.client(L1, t.carol!);
    const boxes = { alice: inbox(alice), bob: inbox(bob), carol: inbox(carol) };
    // Consecutive opens alternate: the three sessions are spread over both dispatchers.
    const holders = [alice, bob, carol].map((x) => c.dispatcherOf(connId(x))?.name);
    assert.deepEqual(new Set(holders), new Set(['D1', 'D2']), `sessions on ${holders.join(', ')}`);

    const dm = singleConvId('alice', 'bob');
    await alice.sendText('bob', 'hi bob (WS, L1)');
    await bob.sendText('alice', 'hi alice (TCP, L2)');
    await alice.sendText('bob', 'how are you?');
    await until(() => texts(boxes.bob, dm).length === 2 && texts(boxes.alice, dm).length === 1, 'the 1:1 messages');
    assert.deepEqual(texts(boxes.bob, dm), ['hi bob (WS, L1)', 'how are you?']);
    assert.deepEqual(texts(boxes.alice, dm), ['hi alice (TCP, L2)']);

    const g = await c.admin('POST', '/v1/admin/groups', { owner: 'alice', name: 'team', members: ['bob', 'carol'] });
    const conv = groupConvId(g.group_id);
    for (const [who, cl] of [['alice', alice], ['bob', bob], ['carol', carol], ['bob', bob]] as const) {
      await cl.sendText(g.group_id, `${who} in the group`, { conv_type: 'group' });
    }
    const want = ['alice in the group', 'bob in the group', 'carol in the group', 'bob in the group'];
    const others = (me: string) => want.filter((w) => !w.startsWith(me));
    await until(() => texts(boxes.alice, conv).length === 3 && texts(boxes.bob, conv).length === 2 && texts(boxes.carol, conv).length === 3, 'group messages');
    assert.deepEqual(texts(boxes.alice, conv), others('alice'));
    assert.deepEqual(texts(boxes.bob, conv), others('bob'));
    assert.deepEqual(texts(boxes.carol, conv), others('carol'));
    // One timeline: both dispatchers wrote to the same store, in seq order, without gaps between them.
    const stored = await c.backends.store.history({ app_id: c.appId, conv_id: conv, user_id: 'alice', limit: 50, after: 0 });
    assert.deepEqual(stored.filter((m) => m.type === 'text').map((m) => (m.content as { text: string }).text), want);
    await Promise.all([alice, bob, carol].map((x) => x.close()));
  });

  it('multi-login: a second web login on the other link kicks the first', async () => {
    const [L1, L2] = c.links as [Cluster['links'][0], Cluster['links'][0]];
    const first = await c.client(L1, t.dave!, 'web');
    const kicked = new Promise<string>((resolve) => first.on('kicked', (k) => resolve(k.reason)));
    const phone = await c.client(L1, t.dave!, 'ios');
    const second = await c.client(L2, t.dave!, 'web');
    assert.equal(await kicked, 'replaced');
    await until(() => first.state === 'closed', 'the kicked client closed');
    assert.notEqual(c.dispatcherOf(connId(second)), c.dispatcherOf(connId(phone)), 'the kick crossed dispatchers too');
    const where = (await c.backends.location.lookup(c.appId, ['dave'])).map((r) => [r.link_id, r.platform]).sort();
    assert.deepEqual(where, [['L1', 'ios'], ['L2', 'web']]);
    await Promise.all([phone.close(), second.close()]);
  });

  it('revocation on one dispatcher refuses the token on the other', async () => {
    const [L1, L2] = c.links as [Cluster['links'][0], Cluster['links'][0]];
    const token = t.erin!;
    const erin = await c.client(L1, token);
    const revokedOn = c.dispatcherOf(connId(erin))!;
    await erin.logout(); // revokes every token issued so far, on the dispatcher holding this session
    const revokedAt = Date.now();
    const refusals: { reason: string; on: string | undefined }[] = [];
    // Two fresh connections with the old token: consecutive opens alternate, so one lands on each dispatcher.
    for (const link of [L2, L1]) {
      const cl = await c.client(link, token, 'web', false);
      const reason = new Promise<string>((resolve) => cl.on('kicked', (k) => resolve(k.reason)));
      await cl.connect(); // the link admits the token (well signed); the dispatcher refuses it
      refusals.push({ reason: await reason, on: c.dispatcherOf(connId(cl))?.name });
    }
    assert.deepEqual(refusals.map((r) => r.reason), ['revoked', 'revoked']);
    assert.deepEqual(new Set(refusals.map((r) => r.on)), new Set(['D1', 'D2']), 'refused on both dispatchers');
    assert.ok(refusals.some((r) => r.on !== revokedOn.name), 'including the one that did not revoke');
    // Token iat has second precision: a token of the revocation's second is revoked too, so take one from the next.
    await until(() => Math.floor(Date.now() / 1000) > Math.floor(revokedAt / 1000), 'the next second');
    const fresh = (await c.admin('POST', '/v1/admin/users/erin/tokens', {})).token;
    const ok = await c.client(L2, fresh);
    assert.equal(ok.state, 'open');
    await ok.close();
  });

  it('a group membership change is seen by both dispatchers at once', async () => {
    const [L1, L2] = c.links as [Cluster['links'][0], Cluster['links'][0]];
    const g = await c.admin('POST', '/v1/admin/groups', { owner: 'gina', name: 'changing', members: ['frank'] });
    // frank on both dispatchers: two devices, opened one after the other.
    const frankWeb = await c.client(L1, t.frank!, 'web');
    const frankPhone = await c.client(L2, t.frank!, 'ios');
    assert.notEqual(c.dispatcherOf(connId(frankWeb)), c.dispatcherOf(connId(frankPhone)));
    // Both dispatchers cache the member list (each has routed a send of frank's).
    await frankWeb.sendText(g.group_id, 'from web', { conv_type: 'group' });
    await frankPhone.sendText(g.group_id, 'from phone', { conv_type: 'group' });

    await c.admin('DELETE', `/v1/admin/groups/${g.group_id}/members/frank`);
    // No polling: the moment the api answered, neither dispatcher lets frank send or read.
    assert.equal(await errorCode(frankWeb.sendText(g.group_id, 'still here?', { conv_type: 'group' })), 'not_member');
    assert.equal(await errorCode(frankPhone.sendText(g.group_id, 'still here?', { conv_type: 'group' })), 'not_member');
    assert.equal(await errorCode(frankPhone.history(groupConvId(g.group_id))), 'not_member');

    await c.admin('POST', `/v1/admin/groups/${g.group_id}/members`, { user_ids: ['frank'] });
    assert.equal(await errorCode(frankWeb.sendText(g.group_id, 'back (web)', { conv_type: 'group' })), 'ok');
    assert.equal(await errorCode(frankPhone.sendText(g.group_id, 'back (phone)', { conv_type: 'group' })), 'ok');
    await Promise.all([frankWeb.close(), frankPhone.close()]);
  });

  it('links heartbeat upstream; each dispatcher refreshes their location entries', async () => {
    c.heartbeats.length = 0;
    c.transport.heartbeatNow();
    const both = (ids: string[]) => ids.filter((l) => l === 'L1').length >= 1 && ids.filter((l) => l === 'L2').length >= 1;
    await until(() => c.dispatchers.every((d) => both(d.beats)), 'a beat from each link on each dispatcher');
    // Each dispatcher (and the api process, which also holds a dispatch side) refreshed both links' entries.
    await until(() => c.heartbeats.filter((l) => l === 'L1').length >= 2 && c.heartbeats.filter((l) => l === 'L2').length >= 2, 'Location.heartbeat per link per dispatcher');
    assert.deepEqual([...new Set(c.heartbeats)].sort(), ['L1', 'L2']);
  });

  it('a dispatcher removed mid-stream: its sessions re-open on the other; every acked message stored once, in order', async () => {
    const [L1, L2] = c.links as [Cluster['links'][0], Cluster['links'][0]];
    const senders = [await c.client(L1, t.alice!), await c.client(L2, t.bob!), await c.client(L1, t.carol!), await c.client(L2, t.gina!)];
    const names = ['alice', 'bob', 'carol', 'gina'];
    const bobInbox = inbox(senders[1]!);
    const states: string[] = [];
    for (const s of senders) s.on('state', (e) => states.push(e.state));
    const leaving = c.dispatcherOf(connId(senders[0]!))!;
    const staying = c.dispatchers.find((d) => d !== leaving)!;
    assert.ok(senders.some((s) => c.dispatcherOf(connId(s)) === staying), 'sessions on both dispatchers before');

    const N = 40;
    const acks: Promise<{ seq: number; conv_id: string }>[][] = senders.map(() => []);
    let acked = 0;
    let left: Promise<void> | undefined;
    let ackedAtLeave = 0;
    for (let i = 0; i < N; i++) {
      senders.forEach((s, k) => {
        const to = names[k] === 'bob' ? 'alice' : 'bob';
        const p = s.sendText(to, `${names[k]} ${i}`);
        void p.then(() => acked++, () => {});
        acks[k]!.push(p);
      });
      if (i === 10) {
        // Mid-stream: wait until some are acked, then take the dispatcher out while the rest are in flight.
        await until(() => acked >= 8, 'the stream under way');
        ackedAtLeave = acked;
        left = leaving.leave();
      }
    }
    const results = await Promise.all(acks.map((list) => Promise.all(list)));
    await left;
    await until(() => leaving.core.dispatcher.sessionCount() === 0, 'the leaving dispatcher emptied');
    for (const s of senders) assert.equal(c.dispatcherOf(connId(s)), staying, 'every session now lives on the other dispatcher');
    assert.deepEqual(states, [], 'no client noticed: no reconnect');
    assert.ok(ackedAtLeave < N * senders.length, `removed mid-stream (${ackedAtLeave} of ${N * senders.length} acked)`);
    // alice's session really moved: part of her stream reached the leaving dispatcher, the rest (re-sent or new) the other.
    const sendsOf = (d: typeof leaving) => d.seen.filter((m) => m.kind === 'frame' && m.frame.op === 'send' && m.session.conn_id === connId(senders[0]!)).length;
    assert.ok(sendsOf(leaving) > 0 && sendsOf(staying) > 0, `alice's sends: ${sendsOf(leaving)} on the leaving, ${sendsOf(staying)} on the staying dispatcher`);
    assert.ok(staying.seen.some((m) => m.kind === 'open' && m.session.conn_id === connId(senders[0]!)), 'her session re-opened on the other');

    for (let k = 0; k < senders.length; k++) {
      const conv = results[k]![0]!.conv_id;
      const stored = await c.backends.store.history({ app_id: c.appId, conv_id: conv, user_id: names[k]!, limit: 500, after: 0 });
      const mine = stored.filter((m) => m.sender === names[k] && m.type === 'text');
      const sent = Array.from({ length: N }, (_, i) => `${names[k]} ${i}`);
      // Stored once each, in the order sent, at the seqs the sender was acked.
      const inStream = mine.filter((m) => sent.includes((m.content as { text: string }).text));
      assert.deepEqual(inStream.map((m) => (m.content as { text: string }).text), sent, `${names[k]}: once each, in order`);
      assert.deepEqual(inStream.map((m) => m.seq), results[k]!.map((a) => a.seq), `${names[k]}: acked seqs are the stored ones`);
    }
    // Recipients got everything too (pushes, or gap fill), in order.
    const fromAlice = Array.from({ length: N }, (_, i) => `alice ${i}`);
    await until(() => texts(bobInbox, singleConvId('alice', 'bob')).filter((x) => x.startsWith('alice ')).length >= N, 'bob got alice\'s stream');
    assert.deepEqual(texts(bobInbox, singleConvId('alice', 'bob')).filter((x) => fromAlice.includes(x)), fromAlice);
    await Promise.all(senders.map((s) => s.close()));
  });

  it('a dispatcher that crashes mid-stream (writes nothing more, answers nothing more): every acked message stored once, in order', async () => {
    const [L1, L2] = c.links as [Cluster['links'][0], Cluster['links'][0]];
    c.addDispatcher('D3'); // the survivor of the previous case and a new one
    const live = c.dispatchers.filter((d) => d.alive);
    assert.equal(live.length, 2);
    const senders = [await c.client(L2, t.carol!), await c.client(L1, t.dave!, 'pad'), await c.client(L2, t.frank!, 'pad'), await c.client(L1, t.gina!, 'pad')];
    const names = ['carol', 'dave', 'frank', 'gina'];
    const victim = c.dispatcherOf(connId(senders[0]!))!;
    const survivor = live.find((d) => d !== victim)!;
    assert.ok(live.includes(victim) && senders.some((s) => c.dispatcherOf(connId(s)) === survivor), 'sessions on both live dispatchers');
    const states: string[] = [];
    for (const s of senders) s.on('state', (e) => states.push(e.state));

    const N = 40;
    const acks: Promise<{ seq: number; conv_id: string }>[][] = senders.map(() => []);
    let acked = 0;
    let ackedAtCrash = 0;
    for (let i = 0; i < N; i++) {
      senders.forEach((s, k) => {
        const p = s.sendText('erin', `${names[k]} ${i}`);
        void p.then(() => acked++, () => {});
        acks[k]!.push(p);
      });
      if (i === 10) {
        await until(() => acked >= 8, 'the stream under way');
        ackedAtCrash = acked;
        await victim.crash();
      }
    }
    const results = await Promise.all(acks.map((list) => Promise.all(list)));
    assert.ok(ackedAtCrash < N * senders.length, `crashed mid-stream (${ackedAtCrash} of ${N * senders.length} acked)`);
    const sendsOf = (d: typeof victim) => d.seen.filter((m) => m.kind === 'frame' && m.frame.op === 'send' && m.session.conn_id === connId(senders[0]!)).length;
    assert.ok(sendsOf(victim) > 0 && sendsOf(survivor) > 0, `carol's sends: ${sendsOf(victim)} on the victim, ${sendsOf(survivor)} on the survivor`);
    for (const s of senders) assert.equal(c.dispatcherOf(connId(s)), survivor, 'every session now lives on the survivor');
    assert.deepEqual(states, [], 'no client noticed: no reconnect');
    for (let k = 0; k < senders.length; k++) {
      const conv = results[k]![0]!.conv_id;
      const stored = await c.backends.store.history({ app_id: c.appId, conv_id: conv, user_id: names[k]!, limit: 500, after: 0 });
      const sent = Array.from({ length: N }, (_, i) => `${names[k]} ${i}`);
      const mine = stored.filter((m) => m.sender === names[k] && sent.includes((m.content as { text: string }).text));
      assert.deepEqual(mine.map((m) => (m.content as { text: string }).text), sent, `${names[k]}: once each, in order`);
      assert.deepEqual(mine.map((m) => m.seq), results[k]!.map((a) => a.seq), `${names[k]}: acked seqs are the stored ones`);
    }
    await Promise.all(senders.map((s) => s.close()));
  });

  it('a link that vanishes: every dispatcher drops its sessions and location entries', async () => {
    const [, L2] = c.links as [Cluster['links'][0], Cluster['links'][0]];
    const total = () => c.dispatchers.reduce((n, d) => n + d.core.dispatcher.sessionCount(), 0);
    const onL2 = async () => (await c.backends.location.connectionsOfLink('L2')).length;
    const a = await c.client(L2, t.alice!, 'pad');
    const b = await c.client(L2, t.bob!, 'pad');
    await until(async () => (await onL2()) === 2, 'only the two new sessions on L2 (earlier ones closed)');
    const before = total();
    await L2.side.close(); // the link's transport is gone (a crash): no close of its sessions comes up
    await until(async () => (await onL2()) === 0, 'L2 entries removed from the location');
    await until(() => total() === before - 2, 'its sessions dropped by the dispatcher');
    assert.deepEqual(await c.backends.location.lookup(c.appId, ['alice', 'bob']).then((r) => r.filter((x) => x.link_id === 'L2')), []);
    await Promise.all([a.close(), b.close()]);
  });
});
