import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.js';
import { RawClient } from '../helpers/raw-client.js';

/** Two bugs the web client found: a stale "not a member" cache and receipts counting late joiners. */
describe('membership regressions', () => {
  let p: TestPlatform;
  before(async () => {
    p = await startTestPlatform();
  });
  after(async () => p?.destroy());

  it('asking for a single chat before its first message does not lock both users out afterwards', async () => {
    const t = await p.users('kim', 'lee');
    const kim = await RawClient.authed(p.wsUrl, t.kim!);
    const lee = await RawClient.authed(p.wsUrl, t.lee!);
    const early: any = await kim.request({ op: 'history', id: 1, conv_id: 's:kim:lee' });
    assert.equal(early.code, 'not_member', 'no conversation yet');
    const ack: any = await kim.request({ op: 'send', id: 2, cmid: 'k1', conv_type: 'single', to: 'lee', type: 'text', content: { text: 'first' } });
    assert.equal(ack.op, 'ok');
    for (const c of [kim, lee]) {
      const h: any = await c.request({ op: 'history', id: 3, conv_id: 's:kim:lee' });
      assert.equal(h.op, 'ok', JSON.stringify(h));
      assert.equal(h.data.messages.length, 1);
    }
    kim.close();
    lee.close();
  });

  it('group receipts do not count members who joined after the message', async () => {
    const t = await p.users('own', 'mem', 'late');
    await p.admin('POST', '/v1/admin/groups', { group_id: 'rg', name: 'rg', owner: 'own', members: ['mem'] });
    const own = await RawClient.authed(p.wsUrl, t.own!);
    const ack: any = await own.request({ op: 'send', id: 1, cmid: 'r1', conv_type: 'group', to: 'rg', type: 'text', content: { text: 'before late joined' } });
    await p.admin('POST', '/v1/admin/groups/rg/members', { user_ids: ['late'] });
    const r: any = await own.request({ op: 'receipts', id: 2, conv_id: 'g:rg', seq: ack.data.seq });
    assert.deepEqual(r.data.read_by, [], 'nobody has read it yet');
    assert.equal(r.data.member_count, 1, 'only mem could see it');
    own.close();
  });
});
