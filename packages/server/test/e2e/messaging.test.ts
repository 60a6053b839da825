import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ParleyClient, tcpConnection } from '@parley/sdk/node';
import type { Message } from '@parley/protocol';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.js';
import { RawClient } from '../helpers/raw-client.js';

/** Collects 'message' events of one client. */
function inbox(c: ParleyClient): Message[] {
  const got: Message[] = [];
  c.on('message', (m) => got.push(m));
  return got;
}

async function until(pred: () => boolean, what: string, timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timeout: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const texts = (ms: Message[], conv?: string) =>
  ms.filter((m) => m.type === 'text' && (!conv || m.conv_id === conv)).map((m) => (m.content as { text: string }).text);

describe('messaging end to end with the SDK over WebSocket and TCP', () => {
  let p: TestPlatform;
  let t: Record<string, string>;
  const open: ParleyClient[] = [];
  const ws = (token: string, platform: 'web' | 'ios' | 'android' | 'desktop' | 'pad' = 'web') => {
    const c = new ParleyClient({ url: p.wsUrl, token, platform, reconnect: { minMs: 50, maxMs: 500, factor: 2, jitter: 0.1 } });
    open.push(c);
    return c;
  };
  const tcp = (token: string, platform: 'web' | 'ios' | 'android' | 'desktop' | 'pad') => {
    const c = new ParleyClient({ url: '', connect: tcpConnection('127.0.0.1', p.tcpPort), token, platform, reconnect: { minMs: 50, maxMs: 500, factor: 2, jitter: 0.1 } });
    open.push(c);
    return c;
  };

  before(async () => {
    p = await startTestPlatform({ rate_per_sec: 1000, rate_burst: 1000 });
    t = await p.users('alice', 'bob', 'carol', 'dave');
  });
  after(async () => {
    for (const c of open) await c.close().catch(() => {});
    await p?.destroy();
  });

  it('two users on two devices each (WS and TCP) all see the conversation', async () => {
    const aliceWeb = ws(t.alice!, 'web');
    const aliceDesk = tcp(t.alice!, 'desktop');
    const bobWeb = ws(t.bob!, 'web');
    const bobPhone = tcp(t.bob!, 'ios');
    const boxes = [aliceWeb, aliceDesk, bobWeb, bobPhone].map(inbox);
    await Promise.all([aliceWeb, aliceDesk, bobWeb, bobPhone].map((c) => c.connect()));

    const a1 = await aliceWeb.sendText('bob', 'hi bob, from the browser');
    const b1 = await bobPhone.sendText('alice', 'hi alice, from my phone over TCP');
    const a2 = await aliceDesk.sendText('bob', 'and from my desktop');
    assert.equal(a1.conv_id, 's:alice:bob');
    assert.deepEqual([a1.seq, b1.seq, a2.seq], [a1.seq, a1.seq + 1, a1.seq + 2], 'seqs follow the order of the acks');

    const all = ['hi bob, from the browser', 'hi alice, from my phone over TCP', 'and from my desktop'];
    // Each device receives the messages it did not send itself, in order.
    const expect = [
      all.filter((_, i) => i !== 0), // alice web sent #0
      all.filter((_, i) => i !== 2), // alice desktop sent #2
      all,
      all.filter((_, i) => i !== 1), // bob phone sent #1
    ];
    for (const [i, box] of boxes.entries()) {
      await until(() => texts(box).length >= expect[i]!.length, `device ${i} receives ${expect[i]!.length}`);
      assert.deepEqual(texts(box), expect[i], `device ${i}`);
    }
  });

  it('an offline user finds everything on reconnect, and the SDK fills the gap', async () => {
    const carol = ws(t.carol!, 'web');
    const seen = inbox(carol);
    await carol.connect();
    const dave = ws(t.dave!, 'web');
    await dave.connect();
    await dave.sendText('carol', 'one');
    await until(() => texts(seen).length === 1, 'carol gets the first message');
    await carol.close();

    for (const word of ['two', 'three', 'four', 'five']) await dave.sendText('carol', word);

    // A fresh client for carol (as after a restart) sees unread and history from the server.
    const carol2 = ws(t.carol!, 'web');
    const seen2 = inbox(carol2);
    carol2.trackConversation('s:carol:dave', seen.find((m) => m.type === 'text')!.seq);
    await carol2.connect();
    const list = await carol2.conversations();
    const conv = list.conversations.find((c) => c.conv_id === 's:carol:dave')!;
    assert.equal(conv.unread, 5, 'nothing was read yet');
    assert.equal(list.total_unread, 5);
    assert.equal((conv.last_message!.content as { text: string }).text, 'five');
    // The gap between what carol had seen (seq of "one") and last_seq is filled by the SDK.
    await until(() => texts(seen2).length === 4, 'gap fill delivers the four missed messages');
    assert.deepEqual(texts(seen2), ['two', 'three', 'four', 'five']);
    const h = await carol2.history('s:carol:dave', { limit: 10 });
    assert.deepEqual(texts(h.messages).reverse(), ['one', 'two', 'three', 'four', 'five']);
  });

  it('a resend after a dropped ack stores the message once', async () => {
    const raw = await RawClient.authed(p.wsUrl, t.dave!, 'pad');
    raw.ws.send(JSON.stringify({ op: 'send', id: 1, cmid: 'drop-1', conv_type: 'single', to: 'alice', type: 'text', content: { text: 'only once' } }));
    raw.ws.terminate(); // the ack, if any, is lost with the connection
    const again = await RawClient.authed(p.wsUrl, t.dave!, 'pad');
    const r1: any = await again.request({ op: 'send', id: 2, cmid: 'drop-1', conv_type: 'single', to: 'alice', type: 'text', content: { text: 'only once' } });
    const r2: any = await again.request({ op: 'send', id: 3, cmid: 'drop-1', conv_type: 'single', to: 'alice', type: 'text', content: { text: 'only once' } });
    assert.equal(r1.op, 'ok');
    assert.equal(r2.data.seq, r1.data.seq, 'the same ack');
    assert.equal(r2.data.duplicate, true);
    const h: any = await again.request({ op: 'history', id: 4, conv_id: 's:alice:dave', limit: 50 });
    assert.equal(h.data.messages.filter((m: any) => m.cmid === 'drop-1').length, 1, 'stored once');
    again.close();
  });

  it('read, unread, peer read position, recall, search and the conversation list', async () => {
    const alice = ws(t.alice!, 'pad');
    const bob = ws(t.bob!, 'pad');
    const carol = ws(t.carol!, 'pad');
    await carol.connect();
    await carol.sendText('bob', 'a second conversation for bob');
    const bobBox = inbox(bob);
    const reads: Array<{ conv_id: string; user_id: string; seq: number }> = [];
    alice.on('read', (r) => reads.push(r));
    await Promise.all([alice.connect(), bob.connect()]);
    const conv = 's:alice:bob';
    const before = (await bob.conversations()).conversations.find((c) => c.conv_id === conv)!;
    await bob.markRead(conv, before.last_seq);

    const m1 = await alice.sendText('bob', '明天下午三点在北京开会');
    const m2 = await alice.sendText('bob', 'this one will be recalled');
    const m3 = await alice.sendText('bob', 'bring the slides');
    let bobConv = (await bob.conversations()).conversations.find((c) => c.conv_id === conv)!;
    assert.equal(bobConv.unread, 3);

    const r = await bob.markRead(conv, m1.seq);
    assert.equal(r.read_seq, m1.seq);
    assert.equal(r.unread, 2);
    await until(() => reads.some((x) => x.user_id === 'bob' && x.seq === m1.seq), 'alice hears bob read up to m1');
    const aliceConv = (await alice.conversations()).conversations.find((c) => c.conv_id === conv)!;
    assert.equal(aliceConv.peer_read_seq, m1.seq, "alice sees bob's read position");
    assert.equal(aliceConv.unread, 0, 'sending advanced her own read position');

    const notice = await alice.recall(conv, m2.seq);
    assert.ok(notice.seq > m3.seq, 'the recall notice has its own seq');
    await until(() => bobBox.some((m) => m.type === 'notice' && (m.content as any).kind === 'recall'), 'bob gets the recall notice');
    const recallNotice = bobBox.find((m) => m.type === 'notice' && (m.content as any).kind === 'recall')!;
    assert.equal((recallNotice.content as any).seq, m2.seq);
    const h = await bob.history(conv, { after: m1.seq - 1, limit: 10 });
    const recalled = h.messages.find((m) => m.seq === m2.seq)!;
    assert.equal(recalled.status, 'recalled');
    assert.equal(recalled.content, null, 'recalled content is not served');
    await assert.rejects(bob.recall(conv, m3.seq), (e: any) => e.code === 'forbidden');

    const hits = await bob.search('北京开会');
    assert.deepEqual(hits.hits.map((m) => m.seq), [m1.seq]);
    assert.deepEqual((await bob.search('北京', { sender: 'alice' })).hits.map((m) => m.seq), [m1.seq], 'two-character Chinese query');
    assert.deepEqual((await bob.search('recalled')).hits, [], 'recalled text is not searchable');

    await bob.deleteForMe(conv, m3.seq);
    const h2 = await bob.history(conv, { limit: 50 });
    assert.ok(!h2.messages.some((m) => m.seq === m3.seq), 'deleted for bob');
    const h3 = await alice.history(conv, { limit: 50 });
    assert.ok(h3.messages.some((m) => m.seq === m3.seq), 'still there for alice');

    // Pinning moves a conversation to the top of the list.
    const lastBefore = (await bob.conversations()).conversations;
    const other = lastBefore.find((c) => c.conv_id !== lastBefore[0]!.conv_id)!;
    await bob.setConversation(other.conv_id, { pinned: true });
    bobConv = (await bob.conversations()).conversations[0]!;
    assert.equal(bobConv.conv_id, other.conv_id);
    assert.equal(bobConv.pinned, true);
  });

  it('a new login on the same platform kicks the old one; other platforms stay', async () => {
    const first = ws(t.dave!, 'android');
    const desk = tcp(t.dave!, 'desktop');
    await first.connect();
    await desk.connect();
    let kicked: string | undefined;
    first.on('kicked', (k) => (kicked = k.reason));
    const second = ws(t.dave!, 'android');
    await second.connect();
    await until(() => kicked !== undefined, 'the older android connection is kicked');
    assert.equal(kicked, 'replaced');
    await until(() => first.state === 'closed', 'the kicked client does not reconnect');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(first.state, 'closed');
    assert.equal(desk.state, 'open', 'desktop stays online');
    assert.equal(second.state, 'open');
    const pres = await second.presence(['dave']);
    // (dave's web client from an earlier test is still online too)
    assert.deepEqual(pres.users[0]!.platforms.sort(), ['android', 'desktop', 'web']);
  });

  it('presence changes and typing reach the peers who watch, and typing is never stored', async () => {
    const u = await p.users('pia', 'quinn');
    const pia = ws(u.pia!, 'web');
    const presence: Array<{ user_id: string; online: boolean }> = [];
    const typing: Array<{ conv_id: string; user_id: string }> = [];
    pia.on('presence', (e) => presence.push(e));
    pia.on('typing', (e) => typing.push(e));
    await pia.connect();
    const before = await pia.presence(['quinn']);
    assert.equal(before.users[0]!.online, false);
    const quinn = ws(u.quinn!, 'ios');
    await quinn.connect();
    await until(() => presence.some((e) => e.user_id === 'quinn' && e.online), 'pia hears quinn come online');
    await quinn.sendText('pia', 'hello');
    quinn.typing('s:pia:quinn');
    await until(() => typing.some((e) => e.user_id === 'quinn' && e.conv_id === 's:pia:quinn'), 'pia sees quinn typing');
    const h = await pia.history('s:pia:quinn');
    assert.equal(h.messages.length, 1, 'typing left nothing in the timeline');
    await quinn.close();
    await until(() => presence.some((e) => e.user_id === 'quinn' && !e.online), 'pia hears quinn go offline');
  });
});
