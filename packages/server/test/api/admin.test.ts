import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pushesTo, settle, startApi, type ApiHarness } from './helpers.js';

describe('admin API (business backend, API key)', () => {
  let h: ApiHarness;
  before(async () => {
    h = await startApi();
  });
  after(async () => h?.close());

  it('requires a valid API key, in X-Api-Key or as a bearer', async () => {
    const none = await h.req('GET', '/v1/admin/settings');
    assert.equal(none.status, 401);
    assert.deepEqual(none.body, { error: { code: 'api_key_invalid', message: 'API key is missing or invalid', retryable: false } });
    const wrong = await h.req('GET', '/v1/admin/settings', { apiKey: 'pk_wrong' });
    assert.equal(wrong.body.error.code, 'api_key_invalid');
    const viaBearer = await h.req('GET', '/v1/admin/settings', { token: h.apiKey });
    assert.equal(viaBearer.status, 200);
    assert.equal(viaBearer.body.recall_window_sec, 120);
    const viaHeader = await h.req('GET', '/v1/admin/settings', { apiKey: h.apiKey });
    assert.equal(viaHeader.body.login_policy, 'one_per_platform');
  });

  it('creates, reads and updates users', async () => {
    const created = await h.req('POST', '/v1/admin/users', { apiKey: h.apiKey, body: { user_id: 'u.one', name: 'One', meta: { dept: 'sales', level: 3 } } });
    assert.equal(created.status, 201);
    assert.equal(created.body.user_id, 'u.one');
    assert.equal(created.body.name, 'One');
    assert.deepEqual(created.body.meta, { dept: 'sales', level: 3 });
    assert.equal(typeof created.body.created_at, 'number');
    assert.equal('password_hash' in created.body, false);

    const dup = await h.req('POST', '/v1/admin/users', { apiKey: h.apiKey, body: { user_id: 'u.one' } });
    assert.equal(dup.status, 409);
    assert.equal(dup.body.error.code, 'already_exists');

    const patched = await h.admin('PATCH', '/v1/admin/users/u.one', { name: 'Uno', avatar: 'https://x/a.png' });
    assert.equal(patched.name, 'Uno');
    assert.equal(patched.avatar, 'https://x/a.png');
    assert.equal((await h.admin('GET', '/v1/admin/users/u.one')).name, 'Uno');

    const missing = await h.req('GET', '/v1/admin/users/nobody', { apiKey: h.apiKey });
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, 'not_found');
  });

  it('issues tokens that clients can use, with the requested lifetime', async () => {
    await h.admin('POST', '/v1/admin/users', { user_id: 'tok' });
    const t = await h.admin('POST', '/v1/admin/users/tok/tokens', { ttl_sec: 600 });
    assert.match(t.token, /^[\w-]+\.[\w-]+\.[\w-]+$/);
    assert.ok(Math.abs(t.expires_at - (h.now() + 600_000)) < 2000);
    const me = await h.as(t.token, 'GET', '/v1/me');
    assert.equal(me.body.user_id, 'tok');
    // An empty body is fine where no field is required.
    const noBody = await h.req('POST', '/v1/admin/users/tok/tokens', { apiKey: h.apiKey });
    assert.equal(noBody.status, 200);
    const unknown = await h.req('POST', '/v1/admin/users/ghost/tokens', { apiKey: h.apiKey, body: {} });
    assert.equal(unknown.body.error.code, 'not_found');
  });

  it('kicks a user: every connection closed, every token revoked', async () => {
    const { kim } = await h.users('kim');
    const c1 = await h.connect('kim', 'ios');
    const c2 = await h.connect('kim', 'web');
    const r = await h.admin('POST', '/v1/admin/users/kim/kick');
    assert.deepEqual(r, { kicked: 2 });
    await settle();
    assert.deepEqual(pushesTo(h.downs, c1), [{ op: 'kicked', reason: 'admin' }]);
    assert.deepEqual(pushesTo(h.downs, c2), [{ op: 'kicked', reason: 'admin' }]);
    const after = await h.as(kim!, 'GET', '/v1/me');
    assert.equal(after.status, 401);
    assert.equal(after.body.error.code, 'token_revoked');
  });

  it('reads and changes app settings, validating every field', async () => {
    const s = await h.admin('PATCH', '/v1/admin/settings', { recall_window_sec: 30, read_receipts: false });
    assert.equal(s.recall_window_sec, 30);
    assert.equal(s.read_receipts, false);
    assert.equal(s.allow_registration, true);
    assert.equal((await h.admin('GET', '/v1/admin/settings')).recall_window_sec, 30);
    const bad = await h.req('PATCH', '/v1/admin/settings', { apiKey: h.apiKey, body: { login_policy: 'many' } });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'invalid_field');
    const extra = await h.req('PATCH', '/v1/admin/settings', { apiKey: h.apiKey, body: { evil: true } });
    assert.equal(extra.body.error.code, 'invalid_field');
    await h.admin('PATCH', '/v1/admin/settings', { recall_window_sec: 120, read_receipts: true });
  });

  it('isolates apps: another app key sees none of these users or groups', async () => {
    await h.admin('POST', '/v1/admin/users', { user_id: 'iso' });
    const otherKey = await h.createApp('other');
    const r = await h.req('GET', '/v1/admin/users/iso', { apiKey: otherKey });
    assert.equal(r.status, 404);
    const g = await h.req('POST', '/v1/admin/groups', { apiKey: otherKey, body: { name: 'x', owner: 'iso', members: [] } });
    assert.equal(g.body.error.code, 'not_found');
    // The same id may exist independently in the other app.
    const mine = await h.req('POST', '/v1/admin/users', { apiKey: otherKey, body: { user_id: 'iso', name: 'Other Iso' } });
    assert.equal(mine.status, 201);
    assert.equal((await h.admin('GET', '/v1/admin/users/iso')).name, 'iso');
  });

  it('sends as a user through the message pipeline, idempotent by cmid', async () => {
    const { pat } = await h.users('system', 'pat');
    const a = await h.admin('POST', '/v1/admin/messages', { from: 'system', conv_type: 'single', to: 'pat', type: 'text', content: { text: 'Your order shipped' }, cmid: 'order-1' });
    assert.equal(a.conv_id, 's:pat:system');
    assert.equal(a.seq, 1);
    const again = await h.admin('POST', '/v1/admin/messages', { from: 'system', conv_type: 'single', to: 'pat', type: 'text', content: { text: 'Your order shipped' }, cmid: 'order-1' });
    assert.equal(again.msg_id, a.msg_id);
    assert.equal(again.duplicate, true);
    const noCmid = await h.admin('POST', '/v1/admin/messages', { from: 'system', conv_type: 'single', to: 'pat', type: 'text', content: { text: 'second' } });
    assert.equal(noCmid.seq, 2, 'a recent resend is answered from the recent acks: it takes no seq');
    assert.match(noCmid.cmid, /^api-/);
    const hist = await h.as(pat!, 'GET', '/v1/conversations/s:pat:system/messages');
    assert.deepEqual(hist.body.messages.map((m: any) => m.content.text), ['second', 'Your order shipped']);
    const ghost = await h.req('POST', '/v1/admin/messages', { apiKey: h.apiKey, body: { from: 'ghost', conv_type: 'single', to: 'pat', type: 'text', content: { text: 'x' } } });
    assert.equal(ghost.body.error.code, 'not_found');
  });

  it('manages groups with every permission', async () => {
    await h.users('gowner', 'gm1', 'gm2', 'gm3');
    const created = await h.req('POST', '/v1/admin/groups', { apiKey: h.apiKey, body: { group_id: 'ops', name: 'Ops', owner: 'gowner', members: ['gm1'] } });
    assert.equal(created.status, 201);
    assert.equal(created.body.conv_id, 'g:ops');
    assert.equal(created.body.owner, 'gowner');
    assert.equal(created.body.member_count, 2);
    const added = await h.admin('POST', '/v1/admin/groups/ops/members', { user_ids: ['gm2', 'gm3'] });
    assert.equal(added.member_count, 4);
    await h.admin('PUT', '/v1/admin/groups/ops/members/gm1/role', { role: 'admin' });
    const members = (await h.admin('GET', '/v1/admin/groups/ops/members')).members;
    assert.deepEqual(Object.fromEntries(members.map((m: any) => [m.user_id, m.role])), { gowner: 'owner', gm1: 'admin', gm2: 'member', gm3: 'member' });
    const removed = await h.admin('DELETE', '/v1/admin/groups/ops/members/gm3');
    assert.equal(removed.member_count, 3);
    const renamed = await h.admin('PATCH', '/v1/admin/groups/ops', { name: 'Operations', notice: 'be nice' });
    assert.equal(renamed.name, 'Operations');
    assert.equal(renamed.notice, 'be nice');
    const muted = await h.admin('POST', '/v1/admin/groups/ops/mute', { all: true });
    assert.equal(muted.muted_all, true);
    const noTarget = await h.req('POST', '/v1/admin/groups/ops/mute', { apiKey: h.apiKey, body: {} });
    assert.equal(noTarget.body.error.code, 'invalid_field');
    const dismissed = await h.admin('DELETE', '/v1/admin/groups/ops');
    assert.equal(dismissed.dismissed, true);
    const send = await h.req('POST', '/v1/admin/messages', { apiKey: h.apiKey, body: { from: 'gowner', conv_type: 'group', to: 'ops', type: 'text', content: { text: 'x' } } });
    assert.equal(send.status, 410);
    assert.equal(send.body.error.code, 'group_dismissed');
  });
});
