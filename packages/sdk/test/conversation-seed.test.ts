import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Message } from '@parley/protocol';
import { setup } from './helpers/setup.js';
import { collect, waitFor, within } from './helpers/wait.js';

/**
 * The start of a conversation the client has not seen yet comes from the
 * conversation list read after each open, not from the first seq that
 * happens to arrive: with two dispatchers a later seq of a group can be
 * pushed (or acked) before an earlier one, and the earlier one is owed too.
 */
const GROUP = 'g:team';
const seqs = (msgs: Message[]) => msgs.map((m) => m.seq);
const OLD = () => Date.now() - 60_000;

test('an unseen conversation starts at its last_seq at connect: a later seq pushed first does not make the earlier one "too old"', async (t) => {
  const { server, client } = await setup(t);
  server.addMessage(GROUP, { created_at: OLD() }); // seq 1, long before the connection: not owed
  await within(client.connect(), 'connect');
  await waitFor(() => server.framesOf('convs').length === 1, 'the conversation list read');
  await client.settled();
  const got = collect(client, 'message');
  const two = server.addMessage(GROUP); // committed by one dispatcher…
  server.push({ op: 'msg', msg: server.addMessage(GROUP) }); // …3 by the other, pushed first
  await new Promise((r) => setTimeout(r, 20));
  server.push({ op: 'msg', msg: two });
  await waitFor(() => got.length === 2, 'both messages');
  await client.settled();
  assert.deepEqual(seqs(got), [2, 3], 'the earlier seq is delivered, before the later one');
  assert.equal(client.lastSeq(GROUP), 3);
});

test('an own send acked above a seq another dispatcher commits later: that seq is still delivered', async (t) => {
  const { server, client } = await setup(t);
  server.addMessage(GROUP, { created_at: OLD() }); // seq 1
  await within(client.connect(), 'connect');
  await waitFor(() => server.framesOf('convs').length === 1, 'the conversation list read');
  await client.settled();
  const got = collect(client, 'message');
  const two = server.addMessage(GROUP, { sender: 'bob' }); // allocated first, committed late
  const ack = await within(client.send({ conv_type: 'group', to: 'team', type: 'text', content: { text: 'mine' } }), 'ack');
  assert.equal(ack.seq, 3);
  server.push({ op: 'msg', msg: two });
  await waitFor(() => got.length === 1, 'bob\'s message');
  assert.deepEqual(seqs(got), [2]);
});

test('pushes that arrive while the list is read are held until it answers, then delivered in order', async (t) => {
  const { server, client } = await setup(t);
  server.addMessage(GROUP, { created_at: OLD() }); // seq 1
  let answer: (() => void) | undefined;
  const defaultConvs = (user: string) => ({ data: { conversations: server.conversationsOf(user), total_unread: 0 } });
  server.handlers.convs = (_f, conn) => new Promise((resolve) => (answer = () => resolve(defaultConvs(conn.user!))));
  const got = collect(client, 'message');
  await within(client.connect(), 'connect');
  await waitFor(() => answer !== undefined, 'the list requested');
  const two = server.addMessage(GROUP, { created_at: OLD() + 59_000 });
  server.push({ op: 'msg', msg: server.addMessage(GROUP, { created_at: OLD() + 59_000 }) }); // 3 first
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(got, [], 'held while the start is not known');
  answer!(); // lists last_seq 3
  server.push({ op: 'msg', msg: two });
  await waitFor(() => got.length === 2, 'both');
  await client.settled();
  assert.deepEqual(seqs(got), [2, 3]);
});

test('a conversation whose last message is younger than the commit deadline at connect starts below it (read from its last page)', async (t) => {
  const { server, client } = await setup(t);
  server.addMessage(GROUP, { created_at: OLD() }); // seq 1: old, not owed
  server.addMessage(GROUP); // seq 2: committed just now, maybe as this client connected
  server.handlers.convs = (_f, conn) => ({
    data: { conversations: server.conversationsOf(conn.user!).map((c) => ({ ...c, last_message: server.messages.get(c.conv_id)!.at(-1) })), total_unread: 0 },
  });
  const got = collect(client, 'message');
  await within(client.connect(), 'connect');
  await waitFor(() => got.length === 1, 'the young message');
  await client.settled();
  assert.deepEqual(seqs(got), [2], 'the young one is delivered, the old one is not');
  assert.equal(client.lastSeq(GROUP), 2);
});
