import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.js';
import { RawClient } from '../helpers/raw-client.js';

/**
 * Access: a user cannot read, search, recall or mark read in a conversation
 * they are not in; users of one app cannot see another app's users or messages.
 */
describe('access control', () => {
  let p: TestPlatform;
  let t: Record<string, string>;
  let otherKey: string;
  let otherToken: string;

  before(async () => {
    p = await startTestPlatform();
    t = await p.users('alice', 'bob', 'eve');
    // A second business line with a user of the same id as in the first.
    const other = await p.core.apps.create('shop', 'Shop');
    otherKey = other.api_key;
    const call = async (method: string, url: string, body?: unknown) => {
      const r = await p.api.inject({ method: method as any, url, headers: { authorization: `Bearer ${otherKey}` }, payload: body as any });
      return { status: r.statusCode, body: r.body ? JSON.parse(r.body) : undefined };
    };
    assert.equal((await call('POST', '/v1/admin/users', { user_id: 'alice', name: 'Shop Alice' })).status, 201);
    otherToken = (await call('POST', '/v1/admin/users/alice/tokens', {})).body.token;
  });
  after(async () => p?.destroy());

  it("keeps a non-member out of a conversation's history, search, read, receipts and recall", async () => {
    const alice = await RawClient.authed(p.wsUrl, t.alice!);
    const eve = await RawClient.authed(p.wsUrl, t.eve!);
    const ack: any = await alice.request({ op: 'send', id: 1, cmid: 'a1', conv_type: 'single', to: 'bob', type: 'text', content: { text: 'secret plans for 北京' } });
    assert.equal(ack.op, 'ok');
    const conv = ack.data.conv_id;
    for (const frame of [
      { op: 'history', id: 2, conv_id: conv },
      { op: 'read', id: 3, conv_id: conv, seq: ack.data.seq },
      { op: 'receipts', id: 4, conv_id: conv, seq: ack.data.seq },
      { op: 'recall', id: 5, conv_id: conv, seq: ack.data.seq },
      { op: 'delete', id: 6, conv_id: conv, seq: ack.data.seq },
      { op: 'search', id: 7, q: 'secret', conv_id: conv },
      { op: 'conv_set', id: 8, conv_id: conv, pinned: true },
      { op: 'typing', conv_id: conv },
    ]) {
      const r: any = frame.op === 'typing'
        ? (eve.ws.send(JSON.stringify(frame)), await eve.next((f) => f.op === 'error'))
        : await eve.request(frame);
      assert.equal(r.op, 'error', `${frame.op}: ${JSON.stringify(r)}`);
      assert.equal(r.code, 'not_member', frame.op);
    }
    // Search without a conversation filter never returns a conversation eve is not in.
    const s: any = await eve.request({ op: 'search', id: 9, q: 'secret plans' });
    assert.deepEqual(s.data.hits, []);
    const s2: any = await eve.request({ op: 'search', id: 10, q: '北京' });
    assert.deepEqual(s2.data.hits, []);
    // Bob, a member, does find it.
    const bob = await RawClient.authed(p.wsUrl, t.bob!);
    const s3: any = await bob.request({ op: 'search', id: 11, q: '北京' });
    assert.equal(s3.data.hits.length, 1);
    // The message is untouched by eve's attempts.
    const h: any = await bob.request({ op: 'history', id: 12, conv_id: conv });
    assert.equal(h.data.messages[0].status, 'normal');
    for (const c of [alice, eve, bob]) c.close();
  });

  it("isolates apps: another app's user with the same id sees nothing of this app", async () => {
    const shopAlice = await RawClient.authed(p.wsUrl, otherToken);
    const convs: any = await shopAlice.request({ op: 'convs', id: 1 });
    assert.deepEqual(convs.data.conversations, [], 'no conversations of the default app');
    const h: any = await shopAlice.request({ op: 'history', id: 2, conv_id: 's:alice:bob' });
    assert.equal(h.code, 'not_member');
    const s: any = await shopAlice.request({ op: 'search', id: 3, q: 'secret plans' });
    assert.deepEqual(s.data.hits, []);
    const send: any = await shopAlice.request({ op: 'send', id: 4, cmid: 'x', conv_type: 'single', to: 'bob', type: 'text', content: { text: 'hi' } });
    assert.equal(send.code, 'not_found', 'bob does not exist in the shop app');
    shopAlice.close();

    // The shop's API key cannot read the default app's users; the default key cannot read the shop's.
    const r = await p.api.inject({ method: 'GET', url: '/v1/admin/users/bob', headers: { authorization: `Bearer ${otherKey}` } });
    assert.equal(r.statusCode, 404);
    const mine = await p.admin('GET', '/v1/admin/users/alice');
    assert.equal(mine.name, 'alice', 'the default app still sees its own alice');
  });
});
