import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Message } from '@parley/protocol';
import { setup } from './helpers/setup.js';
import { collect, sleep, waitFor, within } from './helpers/wait.js';

const CONV = 's:alice:bob';
const seqs = (msgs: Message[]) => msgs.map((m) => m.seq);

test('a pushed message past a gap is held, then the missing range is pulled with history after/limit, in seq order', async (t) => {
  const { server, client } = await setup(t, { gapFill: { limit: 2 } });
  await within(client.connect(), 'connect');
  const got = collect(client, 'message');
  server.push({ op: 'msg', msg: server.addMessage(CONV) }); // seq 1: first sight, delivered as is
  await waitFor(() => got.length === 1, 'seq 1');
  for (let i = 0; i < 4; i++) server.addMessage(CONV); // 2..5 stored, never pushed
  const six = server.addMessage(CONV);
  server.push({ op: 'msg', msg: six });
  await waitFor(() => got.length === 6, 'gap filled', 3000);
  await client.settled();
  assert.deepEqual(seqs(got), [1, 2, 3, 4, 5, 6]);
  const pulls = server.framesOf('history');
  // 6 is held from its push: once 5 arrived nothing more was owed, so no third page.
  assert.deepEqual(pulls.map((f) => [f.conv_id, f.after, f.limit]), [[CONV, 1, 2], [CONV, 3, 2]]);
  assert.equal(client.lastSeq(CONV), 6);
});

test('the default page is 200 and a gap is pulled again until caught up', async (t) => {
  const { server, client } = await setup(t);
  await within(client.connect(), 'connect');
  const got = collect(client, 'message');
  server.push({ op: 'msg', msg: server.addMessage(CONV) });
  await waitFor(() => got.length === 1, 'seq 1');
  for (let i = 0; i < 449; i++) server.addMessage(CONV);
  server.push({ op: 'msg', msg: server.addMessage(CONV) }); // seq 451
  await waitFor(() => got.length === 451, 'caught up', 5000);
  assert.deepEqual(seqs(got), Array.from({ length: 451 }, (_, i) => i + 1));
  assert.deepEqual(server.framesOf('history').map((f) => [f.after, f.limit]), [[1, 200], [201, 200], [401, 200]]);
});

test('a message pushed twice is emitted once; pushes behind a fill wait for it', async (t) => {
  const { server, client } = await setup(t);
  await within(client.connect(), 'connect');
  const got = collect(client, 'message');
  const m1 = server.addMessage(CONV);
  server.push({ op: 'msg', msg: m1 });
  server.push({ op: 'msg', msg: m1 });
  server.addMessage(CONV);
  const m3 = server.addMessage(CONV);
  server.push({ op: 'msg', msg: m3 }); // gap: 2 is pulled
  server.push({ op: 'msg', msg: m3 }); // again while the pull runs
  server.push({ op: 'msg', msg: server.addMessage(CONV) }); // 4 queues behind the pull
  await waitFor(() => got.length >= 4, 'four messages');
  await client.settled();
  await sleep(30);
  assert.deepEqual(seqs(got), [1, 2, 3, 4]);
});

test('own acked messages are not re-emitted; a gap below an own message is still filled', async (t) => {
  const { server, client } = await setup(t);
  await within(client.connect(), 'connect');
  const got = collect(client, 'message');
  server.push({ op: 'msg', msg: server.addMessage(CONV) }); // 1
  await waitFor(() => got.length === 1, 'seq 1');
  const m2 = server.addMessage(CONV); // bob's 2, push still on its way
  const ack = await within(client.sendText('bob', 'mine'), 'ack'); // 3
  assert.equal(ack.seq, 3);
  assert.equal(client.lastSeq(CONV), 1, 'frontier stays below the hole');
  server.push({ op: 'msg', msg: m2 });
  server.push({ op: 'msg', msg: server.messages.get(CONV)![2]! }); // an echo of our own 3
  await waitFor(() => got.length === 2, 'seq 2');
  assert.equal(client.lastSeq(CONV), 3, 'the own message closes up behind 2');
  server.push({ op: 'msg', msg: server.addMessage(CONV) }); // 4: no gap, no pull
  await waitFor(() => got.length === 3, 'seq 4');
  assert.deepEqual(seqs(got), [1, 2, 4]);
  assert.equal(server.framesOf('history').length, 0);
});

test('after a reconnect, conversations() is pulled and every known conversation catches up', async (t) => {
  const { server, client } = await setup(t);
  const group = 'g:team';
  await within(client.connect(), 'connect');
  const got = collect(client, 'message');
  server.push({ op: 'msg', msg: server.addMessage(CONV) });
  server.push({ op: 'msg', msg: server.addMessage(group) });
  await waitFor(() => got.length === 2, 'first messages');
  server.refuse = true;
  server.dropAll();
  await waitFor(() => client.state === 'reconnecting', 'reconnecting');
  for (let i = 0; i < 3; i++) server.addMessage(CONV); // 2..4 while away
  server.addMessage(group); // 2
  server.addMessage('g:other'); // never seen: not pulled
  const convsBefore = server.framesOf('convs').length;
  server.refuse = false;
  await waitFor(() => got.length === 6, 'caught up', 3000);
  await client.settled();
  assert.equal(server.framesOf('convs').length, convsBefore + 1);
  assert.deepEqual(got.filter((m) => m.conv_id === CONV).map((m) => m.seq), [1, 2, 3, 4]);
  assert.deepEqual(got.filter((m) => m.conv_id === group).map((m) => m.seq), [1, 2]);
  assert.ok(!server.framesOf('history').some((f) => f.conv_id === 'g:other'));
  assert.equal(client.lastSeq(CONV), 4);
});

test('trackConversation seeds the frontier: connect catches up from there', async (t) => {
  const { server, client } = await setup(t);
  for (let i = 0; i < 12; i++) server.addMessage(CONV);
  client.trackConversation(CONV, 10);
  const got = collect(client, 'message');
  await within(client.connect(), 'connect');
  await waitFor(() => got.length === 2, 'caught up');
  assert.deepEqual(seqs(got), [11, 12]);
  assert.deepEqual(server.framesOf('history').map((f) => f.after), [10]);
  assert.equal(client.lastSeq(CONV), 12);
});

test('a server that gives no server_time: a hole is declared after pulls spanning the deadline, and not asked for again', async (t) => {
  const { server, client } = await setup(t, { gapFill: { holdMs: 50 } });
  server.commitDeadlineMs = 500;
  await within(client.connect(), 'connect');
  const got = collect(client, 'message');
  server.push({ op: 'msg', msg: server.addMessage(CONV) }); // 1
  await waitFor(() => got.length === 1, 'seq 1');
  const five = server.addMessage(CONV, { seq: 5, created_at: Date.now() - 3_600_000 }); // 2..4 lost in a crash
  server.handlers.history = () => ({ data: { messages: [], has_more: false } }); // an older server, lagging
  server.push({ op: 'msg', msg: five });
  await waitFor(() => got.length === 2, 'seq 5 delivered', 10_000);
  assert.deepEqual(seqs(got), [1, 5]);
  // A pull after each wait of 50 (the hold), 50, 100, 200, 400 ms: the fifth comes 800 ms ≥ 500 after the push.
  assert.equal(server.framesOf('history').length, 5, 'a bounded number of pulls');
  assert.equal(client.lastSeq(CONV), 5);
  server.push({ op: 'msg', msg: server.addMessage(CONV) }); // 6
  await waitFor(() => got.length === 3, 'seq 6');
  await sleep(30);
  assert.equal(server.framesOf('history').length, 5, 'the hole is not asked for again');
});

test('holes older than the commit deadline inside a history page are accepted at once', async (t) => {
  const { server, client } = await setup(t);
  await within(client.connect(), 'connect');
  const got = collect(client, 'message');
  server.push({ op: 'msg', msg: server.addMessage(CONV) }); // 1
  await waitFor(() => got.length === 1, 'seq 1');
  const old = Date.now() - 60_000;
  server.addMessage(CONV, { seq: 3, created_at: old });
  server.push({ op: 'msg', msg: server.addMessage(CONV, { seq: 4, created_at: old }) });
  await waitFor(() => got.length === 3, 'delivered');
  assert.deepEqual(seqs(got), [1, 3, 4]);
  assert.equal(server.framesOf('history').length, 1);
});

test('messages the app loaded with history() are not emitted again when pushed', async (t) => {
  const { server, client } = await setup(t);
  await within(client.connect(), 'connect');
  for (let i = 0; i < 5; i++) server.addMessage(CONV);
  const got = collect(client, 'message');
  const page = await within(client.history(CONV, { limit: 3 }), 'history');
  assert.deepEqual(seqs(page.messages), [5, 4, 3]);
  assert.equal(client.lastSeq(CONV), 5);
  server.push({ op: 'msg', msg: server.messages.get(CONV)![4]! }); // 5 again
  server.push({ op: 'msg', msg: server.addMessage(CONV) }); // 6
  await waitFor(() => got.length === 1, 'seq 6');
  await sleep(30);
  assert.deepEqual(seqs(got), [6]);
});

test('the dedup memory is bounded', async (t) => {
  const { server, client } = await setup(t, { dedupCapacity: 3 });
  await within(client.connect(), 'connect');
  const got = collect(client, 'message');
  const msgs = Array.from({ length: 5 }, () => server.addMessage(CONV));
  for (const m of msgs) server.push({ op: 'msg', msg: m });
  await waitFor(() => got.length === 5, 'five');
  server.push({ op: 'msg', msg: msgs[4]! }); // remembered: dropped
  server.push({ op: 'msg', msg: msgs[0]! }); // forgotten, but below the frontier: dropped too
  server.push({ op: 'msg', msg: server.addMessage(CONV) }); // 6
  await waitFor(() => got.length === 6, 'sixth');
  await sleep(30);
  assert.deepEqual(seqs(got), [1, 2, 3, 4, 5, 6]);
});
