import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.js';
import { RawClient } from '../helpers/raw-client.js';

/** A 200-member group, every member online in this process: each gets every message once, in seq order. */
describe('group fan-out to 200 members', () => {
  let p: TestPlatform;
  const clients: RawClient[] = [];
  const N = 200;
  const ids = Array.from({ length: N }, (_, i) => `m${String(i).padStart(3, '0')}`);

  before(async () => {
    p = await startTestPlatform({ rate_per_sec: 10000, rate_burst: 10000 });
    const tokens = await p.users(...ids);
    await p.admin('POST', '/v1/admin/groups', { group_id: 'big', name: 'Big', owner: ids[0], members: ids.slice(1) });
    for (const id of ids) clients.push(await RawClient.authed(p.wsUrl, tokens[id]!));
  });
  after(async () => {
    for (const c of clients) c.close();
    await p?.destroy();
  });

  it('delivers 50 messages from 5 senders to all 200 members, once each, in seq order', async () => {
    const senders = clients.slice(0, 5);
    const perSender = 10;
    const acks = await Promise.all(senders.flatMap((c, s) =>
      Array.from({ length: perSender }, (_, i) =>
        c.request({ op: 'send', id: `${s}-${i}`, cmid: `s${s}-${i}`, conv_type: 'group', to: 'big', type: 'text', content: { text: `hello ${s}-${i}` } }, 20000))));
    for (const a of acks) assert.equal(a.op, 'ok', JSON.stringify(a));
    const seqs = acks.map((a: any) => a.data.seq as number).sort((x, y) => x - y);
    assert.equal(new Set(seqs).size, 50, 'every message got its own seq');

    // Each member receives every message not sent from its own connection, exactly once.
    const deadline = Date.now() + 20000;
    for (const [i, c] of clients.entries()) {
      const expected = senders.includes(c) ? 50 - perSender : 50;
      let got: any[] = [];
      while (Date.now() < deadline) {
        got = c.frames.filter((f) => f.op === 'msg' && (f as any).msg.type === 'text');
        if (got.length >= expected) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      const gotSeqs = got.map((f) => f.msg.seq as number);
      assert.equal(gotSeqs.length, expected, `member ${ids[i]} got ${gotSeqs.length} of ${expected}`);
      assert.deepEqual(gotSeqs, [...gotSeqs].sort((x, y) => x - y), `member ${ids[i]} got them in seq order`);
      assert.equal(new Set(gotSeqs).size, gotSeqs.length, `member ${ids[i]} got no duplicates`);
    }
  });

  it('unread counts and read receipts follow the members reading', async () => {
    const reader = clients[10]!;
    const convs: any = await reader.request({ op: 'convs', id: 'c1' });
    const big = convs.data.conversations.find((c: any) => c.conv_id === 'g:big');
    assert.ok(big.unread >= 50, `unread ${big.unread}`);
    const r: any = await reader.request({ op: 'read', id: 'r1', conv_id: 'g:big', seq: big.last_seq });
    assert.equal(r.data.unread, 0);
    const rc: any = await clients[0]!.request({ op: 'receipts', id: 'rc', conv_id: 'g:big', seq: big.last_seq });
    assert.ok(rc.data.read_by.includes(ids[10]), 'the reader is listed');
    assert.equal(rc.data.read_count, rc.data.read_by.length);
    assert.ok(rc.data.member_count >= N - 1);
  });
});
