import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { groupConvId, type Message, type SendAck } from '@parley/protocol';
import type { ParleyClient } from '@parley/sdk/node';
import { startCluster, until, type Cluster, type DispatchNode } from './inproc-cluster-rig.js';

/**
 * Per-conversation order across dispatchers (issue 9, item 9): two
 * dispatchers share one store and one seq allocator; one of them is made slow
 * to commit, so a group's seq 6 is committed and pushed before seq 5. The SDK
 * holds what lies past the hole until it fills (by push, or found by a pull)
 * or the commit deadline makes it final. Every client must see every message
 * once, in seq order, and history has no hole that stays open.
 */
// Short, so the round that misses it does not take long; long beside the hold of round 2 (≈ the SDK's
// 300 ms hold), since a commit must land within the deadline of the seq above it for its hole to fill.
const DEADLINE = 4000;

describe('order across dispatchers: commits of one group landing out of seq order', () => {
  let c: Cluster;
  let clients: Record<string, ParleyClient>;
  const inbox: Record<string, Message[]> = {};
  let conv: string;
  let groupId: string;
  let A: ParleyClient;
  let B: ParleyClient;
  let slow: DispatchNode;

  before(async () => {
    c = await startCluster({ commitDeadlineMs: DEADLINE });
    const t = await c.users('alice', 'bob', 'carol', 'dave');
    const [L1, L2] = c.links as [Cluster['links'][0], Cluster['links'][0]];
    clients = {
      alice: await c.client(L1, t.alice!), bob: await c.client(L2, t.bob!),
      carol: await c.client(L1, t.carol!), dave: await c.client(L2, t.dave!),
    };
    for (const [who, cl] of Object.entries(clients)) {
      inbox[who] = [];
      cl.on('message', (m) => inbox[who]!.push(m));
    }
    assert.equal(clients.alice!.session!.commit_deadline_ms, DEADLINE, 'the SDK learns the deadline from the auth answer');
    const g = await c.admin('POST', '/v1/admin/groups', { owner: 'alice', name: 'order', members: ['bob', 'carol', 'dave'] });
    groupId = g.group_id;
    conv = groupConvId(groupId);
    // The two senders sit on different dispatchers (consecutive opens alternate).
    const on = (x: ParleyClient) => c.dispatcherOf(x.session!.conn_id)!;
    A = clients.alice!;
    B = Object.values(clients).find((x) => on(x) !== on(A))!;
    assert.ok(B, 'a sender on the other dispatcher');
    slow = on(A);
    // Every client sees the conversation once before the rounds: the first seq a client sees of a
    // conversation starts its frontier (nothing older is owed), so a first sight out of order would drop one.
    await send(A, 'hello');
    await until(() => Object.values(clients).every((x) => x.lastSeq(conv) !== undefined), 'everyone saw the group');
  });
  after(async () => {
    await c?.close();
  });

  const send = (cl: ParleyClient, text: string) => cl.sendText(groupId, text, { conv_type: 'group' });
  const allocated = () => c.backends.seq.current(c.appId, conv);
  const historyPulls = () => c.dispatchers.flatMap((d) => d.seen).filter((m) => m.kind === 'frame' && m.frame.op === 'history').length;
  const texts = (ms: Message[]) => ms.filter((m) => m.conv_id === conv && m.type === 'text').map((m) => (m.content as { text: string }).text);

  /** A's message gets the lower seq but commits after B's. `releaseWhen` decides how long A's dispatcher stays slow. */
  async function outOfOrder(label: string, releaseWhen: () => Promise<void>): Promise<[SendAck, SendAck]> {
    const gate = slow.holdCommits();
    const before = await allocated();
    const a = send(A, `${label} A`);
    await until(() => gate.entered() === 1, 'A commit held');
    assert.equal(await allocated(), before + 1, 'A has its seq');
    const b = await send(B, `${label} B`); // seq + 1: committed and pushed first
    await releaseWhen();
    gate.release();
    const acked = await a;
    assert.equal(acked.seq + 1, b.seq, 'A holds the lower seq');
    return [acked, b];
  }

  it('a late commit whose push arrives within the hold, and one found by a pull after it', async () => {
    // Round 1: released at once after B's ack: A's push comes while the receivers hold B's.
    await outOfOrder('r1', async () => {});
    // Round 2: released only after a receiver gave up waiting for the push and pulled history.
    const pulls = historyPulls();
    await outOfOrder('r2', () => until(() => historyPulls() > pulls, 'a receiver pulling the hole'));
    const want = ['hello', 'r1 A', 'r1 B', 'r2 A', 'r2 B'];
    await until(() => Object.entries(inbox).every(([who, got]) => texts(got).length === want.filter((w) => !mine(who, w)).length), 'every message everywhere');
    for (const [who, got] of Object.entries(inbox)) assertOrdered(who, got, want.filter((w) => !mine(who, w)));
  });

  it('a message that misses its commit deadline is refused and resent with a new seq; the hole it leaves is declared, not waited on forever', async () => {
    // The slow dispatcher's committer is backed up: a batch of another conversation hangs in the store.
    const gate = slow.holdCommits();
    const x = A.sendText('dave', 'r3 X');
    await until(() => gate.entered() === 1, 'the 1:1 commit held');
    const before = await allocated();
    const a2 = send(A, 'r3 A2'); // queued behind it
    await until(async () => (await allocated()) === before + 1, 'A2 has its seq');
    const queuedAt = Date.now();
    const b = await send(B, 'r3 B'); // before + 2, committed at once on the other dispatcher
    assert.equal(b.seq, before + 2);
    // A2 is past its deadline (the committer refuses from 4/5 of it) when its batch can start.
    await until(() => Date.now() - queuedAt > DEADLINE, 'A2 past its deadline');
    gate.release();
    await x;
    const ack2 = await a2;
    assert.ok(ack2.seq > b.seq, `A2 was refused and resent with a new seq (${ack2.seq} > ${b.seq})`);
    const want = ['hello', 'r1 A', 'r1 B', 'r2 A', 'r2 B', 'r3 B', 'r3 A2'];
    await until(() => Object.entries(inbox).every(([who, got]) => texts(got).length === want.filter((w) => !mine(who, w)).length), 'every message everywhere');
    for (const [who, got] of Object.entries(inbox)) assertOrdered(who, got, want.filter((w) => !mine(who, w)));
    await Promise.all(Object.values(clients).map((x) => x.settled()));
    for (const [who, cl] of Object.entries(clients)) assert.equal(cl.lastSeq(conv), ack2.seq, `${who}: the frontier passed the hole`);

    // History: in seq order, the refused seq is the only hole, and it is older than the deadline now.
    const page = await clients.carol!.history(conv, { after: 0, limit: 200 });
    const seqs = page.messages.map((m) => m.seq);
    assert.deepEqual(seqs, [...seqs].sort((x, y) => x - y), 'history in seq order');
    const holes = range(seqs[0]!, seqs[seqs.length - 1]!).filter((s) => !seqs.includes(s));
    assert.deepEqual(holes, [before + 1], 'only the refused seq is missing');
    const above = page.messages.find((m) => m.seq === before + 2)!;
    assert.ok(page.server_time - above.created_at > DEADLINE, 'a client would call that hole final at once');
  });

  /** `who` sent it (its own messages come as acks, not events). */
  function mine(who: string, text: string): boolean {
    return clients[who] === (text.endsWith(' B') ? B : A);
  }

  function assertOrdered(who: string, got: Message[], want: string[]): void {
    const ours = got.filter((m) => m.conv_id === conv);
    const seqs = ours.map((m) => m.seq);
    assert.deepEqual(seqs, [...new Set(seqs)].sort((x, y) => x - y), `${who}: once each, in seq order (${seqs.join(', ')})`);
    assert.deepEqual(texts(ours), want, `${who}: every message`);
  }
});

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}
