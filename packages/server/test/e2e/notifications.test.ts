import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.js';
import { RawClient } from '../helpers/raw-client.js';

describe('notification push from a business line', () => {
  let p: TestPlatform;
  before(async () => {
    p = await startTestPlatform();
  });
  after(async () => p?.destroy());

  it('stores a system notice per user, pushes it to their devices and counts it unread', async () => {
    const t = await p.users('nia', 'oli');
    const nia = await RawClient.authed(p.wsUrl, t.nia!);
    const r = await p.admin('POST', '/v1/admin/notifications', { user_ids: ['nia', 'oli'], text: 'Your order has shipped', data: { order: 42 } });
    assert.deepEqual(r.delivered.map((d: any) => d.conv_id), ['n:nia', 'n:oli']);
    const push: any = await nia.next((f) => f.op === 'msg');
    assert.equal(push.msg.conv_id, 'n:nia');
    assert.equal(push.msg.type, 'notice');
    assert.deepEqual(push.msg.content, { kind: 'system', text: 'Your order has shipped', data: { order: 42 } });
    const list: any = await nia.request({ op: 'convs', id: 1 });
    const n = list.data.conversations.find((c: any) => c.conv_id === 'n:nia');
    assert.equal(n.name, 'Notifications');
    assert.equal(n.unread, 1);
    assert.equal(n.conv_type, 'notification');
    // oli's notifications are not nia's.
    const h: any = await nia.request({ op: 'history', id: 2, conv_id: 'n:oli' });
    assert.equal(h.code, 'not_member');
    await assert.rejects(p.admin('POST', '/v1/admin/notifications', { user_ids: ['ghost'], text: 'x' }), /404/);
    nia.close();
  });

  it('notifies 300 users in one request: each gets their own conversation, the next notice continues its seq', async (t) => {
    const ids = Array.from({ length: 300 }, (_, i) => `bulk${i}`);
    for (const id of ids) await p.admin('POST', '/v1/admin/users', { user_id: id, name: id });
    const started = performance.now();
    const first = await p.admin('POST', '/v1/admin/notifications', { user_ids: ids, text: 'maintenance tonight' });
    t.diagnostic(`300 users, first notice (conversations created): ${Math.round(performance.now() - started)} ms`);
    assert.deepEqual(first.delivered.map((d: any) => [d.user_id, d.conv_id, d.seq]), ids.map((id) => [id, `n:${id}`, 1]));
    const again = performance.now();
    const second = await p.admin('POST', '/v1/admin/notifications', { user_ids: [...ids].reverse(), text: 'maintenance done' });
    t.diagnostic(`300 users, second notice: ${Math.round(performance.now() - again)} ms`);
    assert.deepEqual(second.delivered.map((d: any) => [d.user_id, d.seq]), [...ids].reverse().map((id) => [id, 2]));
    const token = (await p.admin('POST', '/v1/admin/users/bulk299/tokens', {})).token;
    const c = await RawClient.authed(p.wsUrl, token);
    const list: any = await c.request({ op: 'convs', id: 1 });
    assert.deepEqual(list.data.conversations.map((x: any) => [x.conv_id, x.unread]), [['n:bulk299', 2]]);
    const h: any = await c.request({ op: 'history', id: 2, conv_id: 'n:bulk299' });
    assert.deepEqual(h.data.messages.map((m: any) => m.content.text), ['maintenance done', 'maintenance tonight']);
    c.close();
  });
});
