import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Message } from '@parley/protocol';
import {
  addLocal, applyAck, applyNotices, applyRecall, markLocal, mergeMessages, newestSeq, oldestSeq, removeMessage,
  type ChatMessage,
} from '../src/logic/timeline.ts';

const conv = 's:alice:bob';
function msg(seq: number, over: Partial<Message> = {}): Message {
  return {
    msg_id: `m${seq}`, conv_id: conv, conv_type: 'single', seq, sender: 'bob', cmid: `c${seq}`, type: 'text',
    content: { text: `hello ${seq}` }, status: 'normal', created_at: 1_000 * seq, ...over,
  };
}
function local(cmid: string): ChatMessage {
  return { ...msg(0, { cmid, sender: 'alice', msg_id: '' }), local: 'sending' };
}

test('merge orders by seq and dedups by (conv_id, seq)', () => {
  const a = mergeMessages([], [msg(3), msg(1)]);
  const b = mergeMessages(a, [msg(2), msg(3), msg(1)]);
  assert.deepEqual(b.map((m) => m.seq), [1, 2, 3]);
  assert.equal(mergeMessages(b, []), b, 'no change keeps the same array');
});

test('a recalled copy wins over a stale normal copy, whichever arrives first', () => {
  const recalled = msg(2, { status: 'recalled', content: null });
  assert.equal(mergeMessages([msg(2)], [recalled])[0]!.status, 'recalled');
  assert.equal(mergeMessages([recalled], [msg(2)])[0]!.status, 'recalled');
});

test('local sends stay after stored messages, in the order made', () => {
  let list = mergeMessages([], [msg(1)]);
  list = addLocal(list, local('x'));
  list = addLocal(list, local('y'));
  list = mergeMessages(list, [msg(2)]);
  assert.deepEqual(list.map((m) => m.cmid), ['c1', 'c2', 'x', 'y']);
});

test('an ack gives the local send its seq and moves it into order', () => {
  let list = addLocal(mergeMessages([], [msg(1)]), local('x'));
  list = addLocal(list, local('y'));
  list = applyAck(list, { cmid: 'x', msg_id: 'mx', seq: 2, created_at: 5 }, 'alice');
  assert.deepEqual(list.map((m) => [m.cmid, m.seq, m.local]), [['c1', 1, undefined], ['x', 2, undefined], ['y', 0, 'sending']]);
  assert.equal(applyAck(list, { cmid: 'x', msg_id: 'mx', seq: 2, created_at: 5 }, 'alice'), list, 'second ack: nothing to do');
});

test('a stored copy with the cmid of a local send replaces it (once, never twice)', () => {
  let list = addLocal([], local('x'));
  list = mergeMessages(list, [msg(7, { sender: 'alice', cmid: 'x' })]);
  assert.equal(list.length, 1);
  assert.equal(list[0]!.seq, 7);
  assert.equal(list[0]!.local, undefined);
});

test('the same cmid from another sender is a different message', () => {
  const list = mergeMessages(addLocal([], local('x')), [msg(7, { sender: 'bob', cmid: 'x' })]);
  assert.equal(list.length, 2);
});

test('failed and retried sends', () => {
  let list = addLocal([], local('x'));
  list = markLocal(list, 'x', 'failed', 'muted');
  assert.equal(list[0]!.local, 'failed');
  assert.equal(list[0]!.error, 'muted');
  list = addLocal(list, { ...list[0]!, local: 'sending', error: undefined });
  assert.equal(list.length, 1);
  assert.equal(list[0]!.local, 'sending');
});

test('recall notices mark the original; delete-for-me drops it and hidden seqs stay out', () => {
  let list = mergeMessages([], [msg(1), msg(2)]);
  const notice = msg(3, { type: 'notice', content: { kind: 'recall', seq: 1, by: 'bob' } });
  list = applyNotices(mergeMessages(list, [notice]), [notice]);
  assert.equal(list[0]!.status, 'recalled');
  assert.equal(list[0]!.content, null);
  assert.deepEqual(applyRecall(list, 99), list, 'an unknown seq changes nothing');
  list = removeMessage(list, 2);
  assert.deepEqual(list.map((m) => m.seq), [1, 3]);
  list = mergeMessages(list, [msg(2)], new Set([2]));
  assert.deepEqual(list.map((m) => m.seq), [1, 3]);
});

test('oldest and newest stored seqs ignore local sends', () => {
  const list = addLocal(mergeMessages([], [msg(4), msg(9)]), local('x'));
  assert.equal(oldestSeq(list), 4);
  assert.equal(newestSeq(list), 9);
  assert.equal(oldestSeq([]), undefined);
});
