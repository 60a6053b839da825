import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.js';
import { RawClient } from '../helpers/raw-client.js';

/** What docs/protocol.md says the server does at the edges, checked against the server. */
describe('documented edge behaviour (docs/protocol.md)', () => {
  let p: TestPlatform;
  let tokens: Record<string, string>;
  before(async () => {
    p = await startTestPlatform({ rate_per_sec: 1000, rate_burst: 1000 });
    tokens = await p.users('alice', 'bob', 'carol');
    await p.admin('POST', '/v1/admin/groups', { group_id: 'team', name: 'Team', owner: 'bob', members: ['carol'] });
  });
  after(async () => p?.destroy());

  it('typing gets no ok, but may get an error frame without id', async () => {
    const alice = await RawClient.authed(p.wsUrl, tokens.alice!);
    try {
      alice.sendRaw(JSON.stringify({ op: 'typing', conv_id: 'g:team' }));
      const err = await alice.next((f) => f.op === 'error', 20_000);
      assert.equal(err.op === 'error' && err.code, 'not_member');
      assert.equal('id' in err, false);
    } finally {
      alice.close();
    }
  });

  it('history: before and after are exclusive bounds', async () => {
    const alice = await RawClient.authed(p.wsUrl, tokens.alice!);
    try {
      for (let i = 1; i <= 4; i++) {
        const ack = await alice.request({ op: 'send', id: `s${i}`, cmid: `c${i}`, conv_type: 'single', to: 'bob', type: 'text', content: { text: `m${i}` } }, 20_000);
        assert.equal(ack.op, 'ok');
      }
      const seqs = async (q: Record<string, unknown>) => {
        const r = await alice.request({ op: 'history', id: JSON.stringify(q), conv_id: 's:alice:bob', ...q }, 20_000);
        assert.equal(r.op, 'ok');
        return (r as { data: { messages: Array<{ seq: number }> } }).data.messages.map((m) => m.seq);
      };
      assert.deepEqual(await seqs({ before: 3 }), [2, 1]);
      assert.deepEqual(await seqs({ after: 2 }), [3, 4]);
    } finally {
      alice.close();
    }
  });

  it('WebSocket: a binary frame is refused with bad_frame and the connection stays open', async () => {
    const c = await RawClient.authed(p.wsUrl, tokens.carol!);
    try {
      c.ws.send(Buffer.from('{"op":"ping","id":1}'), { binary: true });
      const err = await c.next((f) => f.op === 'error', 20_000);
      assert.equal(err.op === 'error' && err.code, 'bad_frame');
      c.sendRaw(JSON.stringify({ op: 'ping', id: 2 }));
      const pong = await c.next((f) => f.op === 'pong', 20_000);
      assert.equal('id' in pong && pong.id, 2);
      assert.equal(c.closed, null);
    } finally {
      c.close();
    }
  });

  it('WebSocket: text that is not UTF-8 closes with 1007, a protocol error with 1002', async () => {
    const bad = await RawClient.open(p.wsUrl);
    bad.ws.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
    assert.equal((await bad.waitClose(20_000)).code, 1007);
    const proto = await RawClient.open(p.wsUrl);
    // FIN + reserved opcode 0x3, masked, empty payload: not a WebSocket frame.
    ((proto.ws as unknown as { _socket: Socket })._socket).write(Buffer.from([0x83, 0x80, 1, 2, 3, 4]));
    assert.equal((await proto.waitClose(20_000)).code, 1002);
  });
});
