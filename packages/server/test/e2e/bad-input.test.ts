import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.js';
import { RawClient } from '../helpers/raw-client.js';

/**
 * A table of bad frames: each must get its documented error code, the
 * connection must stay usable, and other users must be unaffected.
 */
describe('bad input over WebSocket', () => {
  let p: TestPlatform;
  let tokens: Record<string, string>;
  let alice: RawClient;
  let bob: RawClient;

  before(async () => {
    p = await startTestPlatform({ rate_per_sec: 1000, rate_burst: 1000 });
    tokens = await p.users('alice', 'bob', 'carol', 'mallory');
    await p.admin('POST', '/v1/admin/groups', { group_id: 'team', name: 'Team', owner: 'bob', members: ['carol'] });
    await p.admin('POST', '/v1/admin/users/carol/blocks', { user_id: 'mallory' });
    await p.admin('POST', '/v1/admin/groups', { group_id: 'quiet', name: 'Quiet', owner: 'bob', members: ['alice'] });
    await p.admin('POST', '/v1/admin/groups/quiet/mute', { user_id: 'alice', until: Date.now() + 3600_000 });
    alice = await RawClient.authed(p.wsUrl, tokens.alice!);
    bob = await RawClient.authed(p.wsUrl, tokens.bob!);
  });
  after(async () => {
    alice?.close();
    bob?.close();
    await p?.destroy();
  });

  const text = (t: string) => ({ text: t });
  const cases: Array<{ name: string; raw?: string; frame?: Record<string, unknown>; code: string; as?: 'alice' | 'mallory' }> = [
    { name: 'not JSON', raw: '{oops', code: 'bad_frame' },
    { name: 'JSON array', raw: '[1,2,3]', code: 'bad_frame' },
    { name: 'JSON string', raw: '"hello"', code: 'bad_frame' },
    { name: 'unknown op', frame: { op: 'launch', id: 1 }, code: 'unknown_op' },
    { name: 'missing op', frame: { id: 2 }, code: 'unknown_op' },
    { name: 'send without fields', frame: { op: 'send', id: 3 }, code: 'invalid_field' },
    { name: 'text content of wrong type', frame: { op: 'send', id: 4, cmid: 'c4', conv_type: 'single', to: 'bob', type: 'text', content: { text: 5 } }, code: 'invalid_field' },
    { name: 'image without dimensions', frame: { op: 'send', id: 5, cmid: 'c5', conv_type: 'single', to: 'bob', type: 'image', content: { url: 'x', size: 1 } }, code: 'invalid_field' },
    { name: 'unknown message type', frame: { op: 'send', id: 6, cmid: 'c6', conv_type: 'single', to: 'bob', type: 'notice', content: {} }, code: 'invalid_field' },
    { name: 'extra field', frame: { op: 'read', id: 7, conv_id: 's:alice:bob', seq: 1, evil: true }, code: 'invalid_field' },
    { name: 'bad conversation id', frame: { op: 'history', id: 8, conv_id: 'x:../../etc' }, code: 'invalid_field' },
    { name: 'negative seq', frame: { op: 'read', id: 9, conv_id: 's:alice:bob', seq: -1 }, code: 'invalid_field' },
    { name: 'send to unknown user', frame: { op: 'send', id: 10, cmid: 'c10', conv_type: 'single', to: 'nobody', type: 'text', content: text('hi') }, code: 'not_found' },
    { name: 'send to a group one is not in', frame: { op: 'send', id: 11, cmid: 'c11', conv_type: 'group', to: 'team', type: 'text', content: text('hi') }, code: 'not_member' },
    { name: 'send to oneself', frame: { op: 'send', id: 12, cmid: 'c12', conv_type: 'single', to: 'alice', type: 'text', content: text('hi') }, code: 'invalid_field' },
    { name: 'send while muted', frame: { op: 'send', id: 13, cmid: 'c13', conv_type: 'group', to: 'quiet', type: 'text', content: text('hi') }, code: 'muted' },
    { name: 'history of a conversation one is not in', frame: { op: 'history', id: 14, conv_id: 'g:team' }, code: 'not_member' },
    { name: 'mark read where not a member', frame: { op: 'read', id: 15, conv_id: 's:bob:carol', seq: 1 }, code: 'not_member' },
    { name: 'recall where not a member', frame: { op: 'recall', id: 16, conv_id: 'g:team', seq: 1 }, code: 'not_member' },
    { name: 'search in a conversation one is not in', frame: { op: 'search', id: 17, q: 'hello', conv_id: 'g:team' }, code: 'not_member' },
    { name: 'second auth', frame: { op: 'auth', id: 18, token: 'x' }, code: 'already_authenticated' },
    { name: 'content over the size limit', frame: { op: 'send', id: 19, cmid: 'c19', conv_type: 'single', to: 'bob', type: 'custom', content: { data: 'x'.repeat(20000) } }, code: 'content_too_large' },
    { name: 'reply to a message that does not exist', frame: { op: 'send', id: 20, cmid: 'c20', conv_type: 'single', to: 'bob', type: 'text', content: text('re'), reply_to: 999 }, code: 'not_found' },
  ];

  for (const c of cases) {
    it(`${c.name} → ${c.code}, and the connection still works`, async () => {
      let reply;
      if (c.raw !== undefined) {
        alice.sendRaw(c.raw);
        reply = await alice.next((f) => f.op === 'error');
      } else {
        reply = await alice.request(c.frame!);
      }
      assert.equal(reply.op, 'error', JSON.stringify(reply));
      assert.equal((reply as { code: string }).code, c.code, JSON.stringify(reply));
      assert.equal(typeof (reply as { message: string }).message, 'string');
      alice.ws.send(JSON.stringify({ op: 'ping', id: `p-${c.name}` }));
      const pong = await alice.next((f) => f.op === 'pong' && f.id === `p-${c.name}`);
      assert.equal(pong.op, 'pong');
    });
  }

  it('a blocked user cannot message the blocker', async () => {
    const mallory = await RawClient.authed(p.wsUrl, tokens.mallory!);
    const r = await mallory.request({ op: 'send', id: 1, cmid: 'm1', conv_type: 'single', to: 'carol', type: 'text', content: text('hey') });
    assert.equal((r as { code: string }).code, 'blocked');
    mallory.close();
  });

  it('after all the bad input, alice and bob still chat and nothing bad was stored', async () => {
    alice.ws.send(JSON.stringify({ op: 'ping', id: 'final' }));
    const pong = await alice.next((f) => f.op === 'pong');
    assert.equal(pong.op, 'pong');
    const ack = await alice.request({ op: 'send', id: 100, cmid: 'ok-1', conv_type: 'single', to: 'bob', type: 'text', content: text('still here') });
    assert.equal(ack.op, 'ok', JSON.stringify(ack));
    const push = await bob.next((f) => f.op === 'msg');
    assert.equal(push.op === 'msg' && (push.msg.content as { text: string }).text, 'still here');
    const hist = await bob.request({ op: 'history', id: 101, conv_id: 's:alice:bob' });
    assert.equal(hist.op, 'ok');
    const msgs = (hist as { data: { messages: Array<{ cmid: string }> } }).data.messages;
    assert.deepEqual(msgs.map((m) => m.cmid), ['ok-1'], 'only the valid message was stored');
  });

  it('frames over the rate limit get rate_limited and the connection recovers', async () => {
    const q = await startTestPlatform({ rate_per_sec: 5, rate_burst: 5 });
    try {
      const t = await q.users('u1');
      const c = await RawClient.authed(q.wsUrl, t.u1!);
      for (let i = 0; i < 20; i++) c.ws.send(JSON.stringify({ op: 'convs', id: i }));
      const limited = await c.next((f) => f.op === 'error' && (f as { code: string }).code === 'rate_limited');
      assert.equal((limited as { retryable: boolean }).retryable, true);
      await new Promise((r) => setTimeout(r, 1200));
      const ok = await c.request({ op: 'convs', id: 'after' });
      assert.equal(ok.op, 'ok');
      c.close();
    } finally {
      await q.destroy();
    }
  });

  it('an oversize frame gets frame_too_large and does not affect other users', async () => {
    const big = await RawClient.authed(p.wsUrl, tokens.mallory!, 'desktop');
    big.sendRaw(JSON.stringify({ op: 'ping', id: 1, pad: 'x'.repeat(70000) }));
    const err = await big.next((f) => f.op === 'error').catch(() => null);
    const closed = await big.waitClose().catch(() => null);
    assert.ok((err && (err as { code: string }).code === 'frame_too_large') || closed, 'error frame or close');
    const ack = await bob.request({ op: 'send', id: 200, cmid: 'ok-2', conv_type: 'single', to: 'alice', type: 'text', content: text('fine') });
    assert.equal(ack.op, 'ok');
  });
});
