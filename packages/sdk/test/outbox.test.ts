import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ParleyError, type SendAck } from '@parley/protocol';
import { setup } from './helpers/setup.js';
import { collect, sleep, waitFor, within } from './helpers/wait.js';

test('an ack lost with the connection: resent with the same cmid, resolved once with the original ack', async (t) => {
  const { server, client } = await setup(t);
  await within(client.connect(), 'connect');
  const acks = collect(client, 'ack');
  // The server stores the first send but its ack never leaves: the socket drops first.
  server.withholdAcks = true;
  const sending = client.sendText('bob', 'hello');
  await waitFor(() => server.sends().length === 1, 'first send');
  assert.equal(client.pendingSends().length, 1);
  server.withholdAcks = false;
  server.dropAll();
  const ack = await within(sending, 'ack after reconnect');
  const sends = server.sends();
  assert.equal(sends.length, 2, 'the server got the message twice');
  assert.equal(sends[0]!.cmid, sends[1]!.cmid);
  assert.notEqual(sends[0]!.id, sends[1]!.id);
  assert.equal(ack.cmid, sends[0]!.cmid);
  assert.equal(ack.seq, 1);
  assert.equal(ack.duplicate, true);
  assert.equal(server.messages.get('s:alice:bob')!.length, 1, 'stored once');
  await sleep(50);
  assert.equal(acks.length, 1, 'one ack event');
  assert.deepEqual(client.pendingSends(), []);
  assert.equal(client.lastSeq('s:alice:bob'), 1);
});

test('sends made while disconnected queue and go out once, in order, after (re)connect', async (t) => {
  const { server, client } = await setup(t);
  // before connect()
  const early = [client.sendText('bob', 'e1'), client.sendText('bob', 'e2')];
  assert.equal(client.pendingSends().length, 2);
  await within(client.connect(), 'connect');
  await within(Promise.all(early), 'early acks');
  // while reconnecting
  server.refuse = true;
  server.dropAll();
  await waitFor(() => client.state === 'reconnecting', 'reconnecting');
  const late = ['r1', 'r2', 'r3'].map((text) => client.sendText('bob', text));
  assert.deepEqual(client.pendingSends().map((p) => (p.message.content as { text: string }).text), ['r1', 'r2', 'r3']);
  assert.ok(client.pendingSends().every((p) => p.attempts === 0));
  server.refuse = false;
  const acks = await within(Promise.all(late), 'late acks');
  const texts = server.sends().map((f) => (f.content as { text: string }).text);
  assert.deepEqual(texts, ['e1', 'e2', 'r1', 'r2', 'r3'], 'each exactly once, in issue order');
  assert.deepEqual(acks.map((a: SendAck) => a.seq), [3, 4, 5]);
});

test('a non-retryable refusal rejects the send and removes it from the outbox', async (t) => {
  const { server, client } = await setup(t);
  server.handlers.send = (f) => (f.to === 'mallory' ? { error: 'blocked' } : undefined);
  await within(client.connect(), 'connect');
  await assert.rejects(client.sendText('mallory', 'hi'), (e: unknown) => e instanceof ParleyError && e.code === 'blocked');
  assert.deepEqual(client.pendingSends(), []);
  server.dropAll();
  await waitFor(() => server.connectionAttempts === 2 && client.state === 'open', 'reconnected');
  await sleep(50);
  assert.equal(server.sends().length, 1, 'not resent after reconnect');
});

test('a retryable refusal is retried on the same connection with the same cmid', async (t) => {
  const { server, client } = await setup(t);
  let refusals = 2;
  server.intercept = (frame, conn) => {
    if (frame.op !== 'send' || refusals === 0) return false;
    refusals--;
    server.answer(conn, frame, { error: 'rate_limited' });
    return true;
  };
  await within(client.connect(), 'connect');
  const ack = await within(client.sendText('bob', 'persistent'), 'ack');
  const sends = server.sends();
  assert.equal(sends.length, 3);
  assert.ok(sends.every((s) => s.cmid === ack.cmid));
  assert.equal(server.connectionAttempts, 1);
});

test('a send with no answer is resent after the request timeout', async (t) => {
  const { server, client } = await setup(t, { requestTimeoutMs: 60 });
  await within(client.connect(), 'connect');
  server.withholdAcks = true;
  const sending = client.sendText('bob', 'slow');
  await waitFor(() => server.sends().length === 1, 'first send');
  server.withholdAcks = false;
  const ack = await within(sending, 'ack');
  assert.equal(ack.duplicate, true);
  assert.equal(server.sends().length, 2);
});

test('an app-chosen cmid is used as is; sending it twice while pending is one send', async (t) => {
  const { server, client } = await setup(t);
  const msg = { conv_type: 'group' as const, to: 'team', type: 'text' as const, content: { text: 'x' }, cmid: 'my-cmid-1', mentions: ['bob'] };
  const a = client.send(msg);
  const b = client.send(msg);
  assert.equal(a, b);
  await within(client.connect(), 'connect');
  const ack = await within(a, 'ack');
  assert.equal(ack.cmid, 'my-cmid-1');
  assert.equal(ack.conv_id, 'g:team');
  const [sent] = server.sends();
  assert.deepEqual(sent!.mentions, ['bob']);
  assert.equal(server.sends().length, 1);
});

test('generated cmids are unique', async (t) => {
  const { server, client } = await setup(t);
  await within(client.connect(), 'connect');
  await within(Promise.all(Array.from({ length: 50 }, (_, i) => client.sendText('bob', `m${i}`))), 'acks');
  const cmids = server.sends().map((f) => f.cmid);
  assert.equal(new Set(cmids).size, 50);
});
