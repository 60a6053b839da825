import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startApi, type ApiHarness } from './helpers.js';

describe('friends, blocks and groups over HTTP', () => {
  let h: ApiHarness;
  let t: Record<string, string>;
  let n = 0;
  const say = (from: string, convType: 'single' | 'group', to: string, body = 'hi') =>
    h.as(t[from]!, 'POST', '/v1/messages', { cmid: `g${++n}`, conv_type: convType, to, type: 'text', content: { text: body } });
  const codeOf = (r: { status: number; body: any }) => [r.status, r.body?.error?.code];

  before(async () => {
    h = await startApi();
    t = await h.users('alice', 'bob', 'carol', 'dave', 'erin');
  });
  after(async () => h?.close());

  it('adds and removes friends, both ways', async () => {
    assert.deepEqual((await h.as(t.alice!, 'POST', '/v1/friends', { user_id: 'bob' })).body, { friends: ['bob'] });
    assert.deepEqual((await h.as(t.bob!, 'GET', '/v1/friends')).body, { friends: ['alice'] });
    assert.deepEqual(codeOf(await h.as(t.alice!, 'POST', '/v1/friends', { user_id: 'ghost' })), [404, 'not_found']);
    assert.deepEqual(codeOf(await h.as(t.alice!, 'POST', '/v1/friends', { user_id: 'alice' })), [400, 'invalid_field']);
    assert.deepEqual((await h.as(t.bob!, 'DELETE', '/v1/friends/alice')).body, { friends: [] });
    assert.deepEqual((await h.as(t.alice!, 'GET', '/v1/friends')).body, { friends: [] });
  });

  it('enforces friendship when the app requires it', async () => {
    await h.admin('PATCH', '/v1/admin/settings', { require_friendship: true });
    try {
      assert.deepEqual(codeOf(await say('dave', 'single', 'erin')), [403, 'not_friend']);
      await h.admin('POST', '/v1/admin/users/dave/friends', { user_id: 'erin' });
      assert.equal((await say('dave', 'single', 'erin')).status, 200);
    } finally {
      await h.admin('PATCH', '/v1/admin/settings', { require_friendship: false });
    }
  });

  it('blocks: a blocked sender gets 403 blocked until unblocked', async () => {
    assert.equal((await say('alice', 'single', 'carol')).status, 200);
    assert.deepEqual((await h.as(t.carol!, 'POST', '/v1/blocks', { user_id: 'alice' })).body, { blocked: ['alice'] });
    assert.deepEqual(codeOf(await say('alice', 'single', 'carol')), [403, 'blocked']);
    // Blocking is directed: carol can still write to alice.
    assert.equal((await say('carol', 'single', 'alice')).status, 200);
    assert.deepEqual((await h.as(t.carol!, 'GET', '/v1/blocks')).body, { blocked: ['alice'] });
    assert.deepEqual((await h.as(t.carol!, 'DELETE', '/v1/blocks/alice')).body, { blocked: [] });
    assert.equal((await say('alice', 'single', 'carol')).status, 200);
  });

  it('runs a group through its life: roles, mutes, removal, leaving, dismissal', async () => {
    const created = await h.as(t.alice!, 'POST', '/v1/groups', { name: 'Team', members: ['bob', 'carol'], notice: 'welcome' });
    assert.equal(created.status, 201);
    const g = created.body;
    assert.deepEqual([g.owner, g.member_count, g.notice, g.conv_id], ['alice', 3, 'welcome', `g:${g.group_id}`]);
    const base = `/v1/groups/${g.group_id}`;

    assert.equal((await h.as(t.bob!, 'GET', base)).body.name, 'Team');
    assert.deepEqual(codeOf(await h.as(t.dave!, 'GET', base)), [403, 'not_member']);
    assert.deepEqual(codeOf(await h.as(t.dave!, 'GET', `${base}/members`)), [403, 'not_member']);
    assert.deepEqual(codeOf(await h.as(t.dave!, 'GET', `/v1/conversations/${g.conv_id}/messages`)), [403, 'not_member']);
    assert.deepEqual(codeOf(await say('dave', 'group', g.group_id)), [403, 'not_member']);
    assert.equal((await say('bob', 'group', g.group_id, 'before dave')).status, 200);

    // Only the owner changes roles.
    assert.deepEqual(codeOf(await h.as(t.bob!, 'PUT', `${base}/members/carol/role`, { role: 'admin' })), [403, 'forbidden']);
    assert.equal((await h.as(t.alice!, 'PUT', `${base}/members/bob/role`, { role: 'admin' })).status, 200);
    const roles = (await h.as(t.carol!, 'GET', `${base}/members`)).body.members;
    assert.deepEqual(Object.fromEntries(roles.map((m: any) => [m.user_id, m.role])), { alice: 'owner', bob: 'admin', carol: 'member' });

    // An admin mutes a member; the member cannot send, nor mute anyone.
    const until = h.now() + 3600_000;
    assert.equal((await h.as(t.bob!, 'POST', `${base}/mute`, { user_id: 'carol', until })).status, 200);
    assert.deepEqual(codeOf(await say('carol', 'group', g.group_id)), [403, 'muted']);
    const carolRow = (await h.as(t.alice!, 'GET', `${base}/members`)).body.members.find((m: any) => m.user_id === 'carol');
    assert.equal(carolRow.muted_until, until);
    assert.deepEqual(codeOf(await h.as(t.carol!, 'POST', `${base}/mute`, { user_id: 'bob', until })), [403, 'forbidden']);
    assert.deepEqual(codeOf(await h.as(t.bob!, 'POST', `${base}/mute`, { user_id: 'carol' })), [400, 'invalid_field']);
    await h.as(t.bob!, 'POST', `${base}/mute`, { user_id: 'carol', until: 0 });
    assert.equal((await say('carol', 'group', g.group_id)).status, 200);

    // New members see history from their join on.
    const added = await h.as(t.carol!, 'POST', `${base}/members`, { user_ids: ['dave'] });
    assert.equal(added.body.member_count, 4);
    const daveView = (await h.as(t.dave!, 'GET', `/v1/conversations/${g.conv_id}/messages`)).body.messages;
    assert.ok(daveView.every((m: any) => m.content?.text !== 'before dave'));
    assert.deepEqual(daveView.map((m: any) => m.content?.kind), ['members_added']);

    // Mute-all stops ordinary members, not admins.
    assert.equal((await h.as(t.alice!, 'POST', `${base}/mute`, { all: true })).body.muted_all, true);
    assert.deepEqual(codeOf(await say('dave', 'group', g.group_id)), [403, 'group_muted']);
    assert.equal((await say('bob', 'group', g.group_id)).status, 200);
    await h.as(t.alice!, 'POST', `${base}/mute`, { all: false });

    // Removal needs rank; leaving is for non-owners.
    assert.deepEqual(codeOf(await h.as(t.carol!, 'DELETE', `${base}/members/dave`)), [403, 'forbidden']);
    assert.equal((await h.as(t.bob!, 'DELETE', `${base}/members/carol`)).body.member_count, 3);
    assert.deepEqual(codeOf(await h.as(t.carol!, 'GET', `/v1/conversations/${g.conv_id}/messages`)), [403, 'not_member']);
    assert.deepEqual((await h.as(t.dave!, 'POST', `${base}/leave`)).body, { group_id: g.group_id, left: true });
    assert.deepEqual(codeOf(await h.as(t.alice!, 'POST', `${base}/leave`)), [403, 'forbidden']);

    const renamed = await h.as(t.bob!, 'PATCH', base, { name: 'Core Team' });
    assert.equal(renamed.body.name, 'Core Team');
    const notices = (await h.as(t.alice!, 'GET', `/v1/conversations/${g.conv_id}/messages?limit=1`)).body.messages;
    assert.deepEqual(notices[0].content, { kind: 'group_renamed', by: 'bob', name: 'Core Team' });

    // Ownership transfer, then only the new owner may dismiss.
    await h.as(t.alice!, 'PUT', `${base}/members/bob/role`, { role: 'owner' });
    assert.deepEqual(codeOf(await h.as(t.alice!, 'DELETE', base)), [403, 'forbidden']);
    const dismissed = await h.as(t.bob!, 'DELETE', base);
    assert.deepEqual([dismissed.body.dismissed, dismissed.body.owner], [true, 'bob']);
    assert.deepEqual(codeOf(await say('alice', 'group', g.group_id)), [410, 'group_dismissed']);
  });

  it('keeps non-members out of group read paths', async () => {
    const g = (await h.as(t.alice!, 'POST', '/v1/groups', { name: 'Private', members: ['bob'] })).body;
    await say('bob', 'group', g.group_id, 'secret plans ahead');
    for (const [method, url, body] of [
      ['GET', `/v1/conversations/${g.conv_id}/messages`, undefined],
      ['POST', `/v1/conversations/${g.conv_id}/read`, { seq: 1 }],
      ['POST', `/v1/conversations/${g.conv_id}/messages/2/recall`, undefined],
      ['GET', `/v1/search?q=secret&conv_id=${g.conv_id}`, undefined],
    ] as const) {
      assert.deepEqual(codeOf(await h.as(t.erin!, method, url, body)), [403, 'not_member'], `${method} ${url}`);
    }
    assert.deepEqual((await h.as(t.erin!, 'GET', '/v1/search?q=secret')).body.hits, []);
    assert.equal((await h.as(t.alice!, 'GET', '/v1/search?q=secret')).body.hits.length, 1);
  });

  it('concurrent adds never exceed the member limit; a join seq is above every message already sent', async () => {
    await h.admin('PATCH', '/v1/admin/settings', { max_group_members: 4 });
    let g: any;
    try {
      g = (await h.as(t.alice!, 'POST', '/v1/groups', { name: 'Small', members: ['bob'] })).body;
    } finally {
      await h.admin('PATCH', '/v1/admin/settings', { max_group_members: 500 });
    }
    assert.equal(g.max_members, 4);
    await say('alice', 'group', g.group_id, 'before anyone joined');
    const base = `/v1/groups/${g.group_id}`;
    // Every user lookup answers a turn of the event loop later (as a networked store would), so
    // the three adds really overlap: a limit checked outside the store's transaction would let all three in.
    const store = h.core.backends.store;
    const getUsers = store.getUsers.bind(store);
    store.getUsers = async (...args) => {
      await new Promise((r) => setImmediate(r));
      return getUsers(...args);
    };
    let adds;
    try {
      adds = await Promise.all(['carol', 'dave', 'erin'].map((u) => h.as(t.alice!, 'POST', `${base}/members`, { user_ids: [u] })));
    } finally {
      store.getUsers = getUsers;
    }
    assert.deepEqual(adds.map((r) => r.status).sort(), [200, 200, 409]);
    assert.equal(adds.find((r) => r.status === 409)?.body.error.code, 'group_full');
    const rows: any[] = (await h.as(t.alice!, 'GET', `${base}/members`)).body.members;
    assert.equal(rows.length, 4);
    const joined = rows.filter((m) => !['alice', 'bob'].includes(m.user_id));
    assert.equal(joined.length, 2);
    // the group had seqs 1 (created) and 2 (the message): the newcomers see neither
    for (const m of joined) assert.ok(m.joined_seq > 2, `${m.user_id} joined at ${m.joined_seq}`);
    const history = (await h.as(t[joined[0].user_id]!, 'GET', `/v1/conversations/${g.conv_id}/messages`)).body.messages;
    assert.ok(history.every((x: any) => x.content.text !== 'before anyone joined'));
  });
});
