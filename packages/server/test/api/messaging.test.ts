import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pushesTo, settle, startApi, type ApiHarness } from './helpers.js';

const text = (t: string) => ({ text: t });

describe('messaging over HTTP', () => {
  let h: ApiHarness;
  let t: Record<string, string>;
  let n = 0;
  const send = (from: string, to: string, body: string, extra: Record<string, unknown> = {}) =>
    h.as(t[from]!, 'POST', '/v1/messages', { cmid: `m${++n}`, conv_type: 'single', to, type: 'text', content: text(body), ...extra });

  before(async () => {
    h = await startApi();
    t = await h.users('alice', 'bob', 'carol');
  });
  after(async () => h?.close());

  it('sends, pushes to the recipient, and lists the conversation with unread counts', async () => {
    const bobConn = await h.connect('bob', 'ios');
    const a = await send('alice', 'bob', 'hello bob');
    assert.equal(a.status, 200);
    assert.deepEqual([a.body.conv_id, a.body.seq, a.body.cmid], ['s:alice:bob', 1, `m${n}`]);
    await settle();
    const pushed = pushesTo(h.downs, bobConn).filter((p) => p.op === 'msg');
    assert.equal(pushed.length, 1);
    assert.deepEqual([pushed[0].msg.seq, pushed[0].msg.sender, pushed[0].msg.content], [1, 'alice', text('hello bob')]);

    await send('alice', 'bob', 'second');
    await send('alice', 'bob', 'third');
    const bobList = (await h.as(t.bob!, 'GET', '/v1/conversations')).body;
    assert.equal(bobList.total_unread, 3);
    const conv = bobList.conversations[0];
    assert.deepEqual([conv.conv_id, conv.peer, conv.name, conv.unread, conv.last_seq, conv.last_message.content.text], ['s:alice:bob', 'alice', 'alice', 3, 3, 'third']);
    // Sending advances the sender's own read position.
    const aliceList = (await h.as(t.alice!, 'GET', '/v1/conversations')).body;
    assert.deepEqual([aliceList.total_unread, aliceList.conversations[0].read_seq], [0, 3]);
  });

  it('is idempotent on cmid and validates content by type', async () => {
    const first = await h.as(t.carol!, 'POST', '/v1/messages', { cmid: 'dup-1', conv_type: 'single', to: 'bob', type: 'text', content: text('once') });
    const again = await h.as(t.carol!, 'POST', '/v1/messages', { cmid: 'dup-1', conv_type: 'single', to: 'bob', type: 'text', content: text('once') });
    assert.deepEqual([again.body.msg_id, again.body.seq, again.body.duplicate], [first.body.msg_id, first.body.seq, true]);
    const bad = await h.as(t.carol!, 'POST', '/v1/messages', { cmid: 'bad-1', conv_type: 'single', to: 'bob', type: 'text', content: { text: 5 } });
    assert.deepEqual([bad.status, bad.body.error.code], [400, 'invalid_field']);
    const huge = await h.as(t.carol!, 'POST', '/v1/messages', { cmid: 'big-1', conv_type: 'single', to: 'bob', type: 'custom', content: { data: 'x'.repeat(20000) } });
    assert.deepEqual([huge.status, huge.body.error.code], [413, 'content_too_large']);
    const self = await h.as(t.carol!, 'POST', '/v1/messages', { cmid: 'self-1', conv_type: 'single', to: 'carol', type: 'text', content: text('me') });
    assert.equal(self.body.error.code, 'invalid_field');
  });

  it('a refused send leaves no trace: no conversation in either user\'s list', async () => {
    Object.assign(t, await h.users('dave', 'erin'));
    const mention = await send('dave', 'erin', 'hi @carol', { mentions: ['carol'] });
    assert.deepEqual([mention.status, mention.body.error.code], [400, 'invalid_field']);
    const reply = await send('dave', 'erin', 'as I said', { reply_to: 7 });
    assert.deepEqual([reply.status, reply.body.error.code], [404, 'not_found']);
    for (const u of ['dave', 'erin']) {
      const list = (await h.as(t[u]!, 'GET', '/v1/conversations?include_hidden=true')).body;
      assert.deepEqual(list.conversations.map((c: any) => c.conv_id), [], `${u}'s list`);
    }
    const history = await h.as(t.erin!, 'GET', '/v1/conversations/s:dave:erin/messages');
    assert.equal(history.body.error.code, 'not_member');
    // the first accepted send creates the conversation for both (and the refused ones took no seq)
    const ok = await send('dave', 'erin', 'hello erin', { mentions: ['erin'] });
    assert.deepEqual([ok.status, ok.body.seq], [200, 1]);
    const erinList = (await h.as(t.erin!, 'GET', '/v1/conversations')).body;
    assert.deepEqual(erinList.conversations.map((c: any) => [c.conv_id, c.unread]), [['s:dave:erin', 1]]);
    const seen = (await h.as(t.erin!, 'GET', '/v1/conversations/s:dave:erin/messages')).body;
    assert.deepEqual(seen.messages.map((m: any) => m.content.text), ['hello erin']);
  });

  it('pages history both ways', async () => {
    const newest = (await h.as(t.bob!, 'GET', '/v1/conversations/s:alice:bob/messages?limit=2')).body;
    assert.deepEqual(newest.messages.map((m: any) => m.seq), [3, 2]);
    assert.equal(newest.has_more, true);
    const older = (await h.as(t.bob!, 'GET', '/v1/conversations/s:alice:bob/messages?before=2')).body;
    assert.deepEqual([older.messages.map((m: any) => m.seq), older.has_more], [[1], false]);
    const asked = h.now();
    const gap = (await h.as(t.bob!, 'GET', '/v1/conversations/s:alice:bob/messages?after=1')).body;
    assert.deepEqual(gap.messages.map((m: any) => m.seq), [2, 3]);
    // The server's clock as the page was read: clients judge holes by it (commit deadline).
    assert.ok(gap.server_time >= asked && gap.server_time <= h.now(), `server_time ${gap.server_time}`);
  });

  it('marks read, tells the peer, publishes conversation.read, and answers receipts', async () => {
    const aliceConn = await h.connect('alice', 'web');
    const events: Array<{ id: string; type: string; data: unknown }> = [];
    const off = await h.core.backends.bus.subscribe(h.appId, (e) => void (e.type === 'conversation.read' && events.push({ id: e.id, type: e.type, data: e.data })));
    const r = await h.as(t.bob!, 'POST', '/v1/conversations/s:alice:bob/read', { seq: 2 });
    assert.deepEqual(r.body, { conv_id: 's:alice:bob', read_seq: 2, unread: 1 });
    await h.core.publisher.flush();
    await settle();
    await off();
    assert.deepEqual(events, [{ id: 'read-s:alice:bob-bob-2', type: 'conversation.read', data: { conv_id: 's:alice:bob', user_id: 'bob', read_seq: 2 } }]);
    const reads = pushesTo(h.downs, aliceConn).filter((p) => p.op === 'read');
    assert.deepEqual(reads, [{ op: 'read', conv_id: 's:alice:bob', user_id: 'bob', seq: 2 }]);
    const rc2 = (await h.as(t.alice!, 'GET', '/v1/conversations/s:alice:bob/receipts?seq=2')).body;
    assert.deepEqual([rc2.read_count, rc2.read_by, rc2.member_count], [1, ['bob'], 1]);
    const rc3 = (await h.as(t.alice!, 'GET', '/v1/conversations/s:alice:bob/receipts?seq=3')).body;
    assert.deepEqual([rc3.read_count, rc3.read_by], [0, []]);
    const list = (await h.as(t.alice!, 'GET', '/v1/conversations')).body;
    assert.equal(list.conversations.find((c: any) => c.conv_id === 's:alice:bob').peer_read_seq, 2);
  });

  it('recalls within the window only, and only my own messages', async () => {
    const m = await send('alice', 'bob', 'oops typo');
    const byBob = await h.as(t.bob!, 'POST', `/v1/conversations/s:alice:bob/messages/${m.body.seq}/recall`);
    assert.deepEqual([byBob.status, byBob.body.error.code], [403, 'forbidden']);
    const rec = await h.as(t.alice!, 'POST', `/v1/conversations/s:alice:bob/messages/${m.body.seq}/recall`);
    assert.equal(rec.status, 200);
    assert.equal(rec.body.seq, m.body.seq + 1);
    const hist = (await h.as(t.bob!, 'GET', '/v1/conversations/s:alice:bob/messages?limit=2')).body.messages;
    assert.deepEqual([hist[0].type, hist[0].content], ['notice', { kind: 'recall', seq: m.body.seq, by: 'alice' }]);
    assert.deepEqual([hist[1].seq, hist[1].status, hist[1].content], [m.body.seq, 'recalled', null]);
    const twice = await h.as(t.alice!, 'POST', `/v1/conversations/s:alice:bob/messages/${m.body.seq}/recall`);
    assert.equal(twice.body.error.code, 'conflict');

    const late = await send('alice', 'bob', 'too late to take back');
    h.advance(121_000);
    const expired = await h.as(t.alice!, 'POST', `/v1/conversations/s:alice:bob/messages/${late.body.seq}/recall`);
    assert.deepEqual([expired.status, expired.body.error.code], [403, 'recall_expired']);
  });

  it('deletes a message for me only', async () => {
    const d = await h.as(t.bob!, 'DELETE', '/v1/conversations/s:alice:bob/messages/1');
    assert.deepEqual(d.body, { conv_id: 's:alice:bob', seq: 1 });
    const bobSeqs = (await h.as(t.bob!, 'GET', '/v1/conversations/s:alice:bob/messages?after=0&limit=3')).body.messages.map((m: any) => m.seq);
    const aliceSeqs = (await h.as(t.alice!, 'GET', '/v1/conversations/s:alice:bob/messages?after=0&limit=3')).body.messages.map((m: any) => m.seq);
    assert.deepEqual(bobSeqs, [2, 3, 4]);
    assert.deepEqual(aliceSeqs, [1, 2, 3]);
    const missing = await h.as(t.bob!, 'DELETE', '/v1/conversations/s:alice:bob/messages/999');
    assert.equal(missing.body.error.code, 'not_found');
  });

  it('pins, mutes and hides a conversation', async () => {
    await send('carol', 'alice', 'hi alice');
    const p = await h.as(t.alice!, 'PATCH', '/v1/conversations/s:alice:bob', { pinned: true });
    assert.deepEqual(p.body, { conv_id: 's:alice:bob', pinned: true, muted: false, hidden: false });
    const list = (await h.as(t.alice!, 'GET', '/v1/conversations')).body.conversations.map((c: any) => c.conv_id);
    assert.deepEqual(list, ['s:alice:bob', 's:alice:carol']);
    await h.as(t.alice!, 'PATCH', '/v1/conversations/s:alice:carol', { hidden: true, muted: true });
    await h.as(t.alice!, 'POST', '/v1/conversations/s:alice:carol/read', { seq: 100 });
    const visible = (await h.as(t.alice!, 'GET', '/v1/conversations')).body.conversations.map((c: any) => c.conv_id);
    assert.deepEqual(visible, ['s:alice:bob']);
    const all = (await h.as(t.alice!, 'GET', '/v1/conversations?include_hidden=true')).body.conversations.map((c: any) => c.conv_id);
    assert.deepEqual(all, ['s:alice:bob', 's:alice:carol']);
  });

  it('searches my conversations, Chinese included', async () => {
    await send('alice', 'bob', '今天天气很好，我们去公园吧');
    await send('carol', 'bob', '明天天气不好');
    const hits = (await h.as(t.bob!, 'GET', `/v1/search?q=${encodeURIComponent('天气很好')}`)).body.hits;
    assert.equal(hits.length, 1);
    assert.deepEqual([hits[0].sender, hits[0].conv_id, hits[0].content.text], ['alice', 's:alice:bob', '今天天气很好，我们去公园吧']);
    const both = (await h.as(t.bob!, 'GET', `/v1/search?q=${encodeURIComponent('天气')}`)).body.hits;
    assert.deepEqual(both.map((m: any) => m.sender).sort(), ['alice', 'carol']);
    const scoped = (await h.as(t.bob!, 'GET', `/v1/search?q=${encodeURIComponent('天气')}&conv_id=s:bob:carol`)).body.hits;
    assert.deepEqual(scoped.map((m: any) => m.sender), ['carol']);
    const bySender = (await h.as(t.bob!, 'GET', `/v1/search?q=${encodeURIComponent('天气')}&sender=alice`)).body.hits;
    assert.deepEqual(bySender.map((m: any) => m.conv_id), ['s:alice:bob']);
    // Carol is not in alice↔bob: she cannot search it, and her unscoped search does not reach it.
    const forbidden = await h.as(t.carol!, 'GET', `/v1/search?q=${encodeURIComponent('天气')}&conv_id=s:alice:bob`);
    assert.deepEqual([forbidden.status, forbidden.body.error.code], [403, 'not_member']);
    const carols = (await h.as(t.carol!, 'GET', `/v1/search?q=${encodeURIComponent('天气')}`)).body.hits;
    assert.deepEqual(carols.map((m: any) => m.conv_id), ['s:bob:carol']);
  });

  it('keeps other users out of a single chat', async () => {
    for (const [method, url, body] of [
      ['GET', '/v1/conversations/s:alice:bob/messages', undefined],
      ['POST', '/v1/conversations/s:alice:bob/read', { seq: 1 }],
      ['POST', '/v1/conversations/s:alice:bob/messages/2/recall', undefined],
      ['GET', '/v1/conversations/s:alice:bob/receipts?seq=1', undefined],
      ['DELETE', '/v1/conversations/s:alice:bob/messages/2', undefined],
      ['PATCH', '/v1/conversations/s:alice:bob', { pinned: true }],
    ] as const) {
      const r = await h.as(t.carol!, method, url, body);
      assert.deepEqual([r.status, r.body.error.code], [403, 'not_member'], `${method} ${url}`);
    }
  });
});
