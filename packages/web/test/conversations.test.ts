import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Conversation, Message } from '@parley/protocol';
import { applyMessageToConv, previewText, sortConversations, messageSummary } from '../src/logic/conversations.ts';
import { totalUnread, titleFor, badgeText } from '../src/logic/unread.ts';
import { initials, avatarColor } from '../src/logic/avatar.ts';
import { deliveryOf, readBy } from '../src/logic/receipts.ts';
import { describeNotice, noticeUsers, changesGroup } from '../src/logic/notices.ts';
import { dropPending, loadPending, savePending, upsertPending, type PendingRecord } from '../src/logic/pending-store.ts';

function conv(id: string, over: Partial<Conversation> = {}): Conversation {
  return { conv_id: id, conv_type: 'single', peer: 'bob', name: id, last_seq: 0, read_seq: 0, unread: 0, pinned: false, muted: false, hidden: false, updated_at: 0, ...over };
}
function msg(seq: number, sender = 'bob', over: Partial<Message> = {}): Message {
  return { msg_id: `m${seq}`, conv_id: 's:alice:bob', conv_type: 'single', seq, sender, cmid: `c${seq}`, type: 'text', content: { text: 'hi' }, status: 'normal', created_at: seq * 10, ...over };
}
const nameOf = (id: string) => (id === 'alice' ? 'You' : id.toUpperCase());

test('pinned conversations first, then most recent', () => {
  const list = sortConversations([conv('a', { updated_at: 5 }), conv('b', { updated_at: 9 }), conv('c', { updated_at: 1, pinned: true })]);
  assert.deepEqual(list.map((c) => c.conv_id), ['c', 'b', 'a']);
});

test('unread: total skips muted and hidden; the title shows it', () => {
  const total = totalUnread([conv('a', { unread: 2 }), conv('b', { unread: 5, muted: true }), conv('c', { unread: 1, hidden: true }), conv('d', { unread: 3 })]);
  assert.equal(total, 5);
  assert.equal(titleFor(total), '(5) Parley');
  assert.equal(titleFor(0), 'Parley');
  assert.equal(badgeText(120), '99+');
});

test('a pushed message raises unread; my own or a read-now one does not; old ones change nothing', () => {
  let c = conv('s:alice:bob', { last_seq: 3, read_seq: 3 });
  c = applyMessageToConv(c, msg(4), 'alice', false);
  assert.equal(c.unread, 1);
  assert.equal(c.last_message?.seq, 4);
  c = applyMessageToConv(c, msg(5, 'alice'), 'alice', false);
  assert.equal(c.unread, 0, 'sending advances my read_seq');
  c = applyMessageToConv(c, msg(6), 'alice', true);
  assert.equal(c.unread, 0);
  assert.equal(applyMessageToConv(c, msg(6), 'alice', false), c, 'a duplicate is a no-op');
});

test('previews and summaries', () => {
  assert.equal(previewText(conv('x', { last_message: msg(1, 'alice') }), 'alice', nameOf), 'You: hi');
  assert.equal(previewText(conv('x', { conv_type: 'group', last_message: msg(1, 'bob') }), 'alice', nameOf), 'BOB: hi');
  assert.equal(messageSummary({ type: 'image', content: {}, status: 'normal' }, nameOf), '[Image]');
  assert.equal(messageSummary({ type: 'text', content: null, status: 'recalled' }, nameOf), 'Message recalled');
  assert.equal(describeNotice({ kind: 'members_added', by: 'alice', users: ['bob', 'carol'] }, nameOf), 'You added BOB, CAROL');
  assert.equal(describeNotice({ kind: 'recall', by: 'bob', seq: 1 }, nameOf), 'BOB recalled a message');
  assert.deepEqual(noticeUsers({ kind: 'members_added', by: 'alice', users: ['bob', 'carol'] }), ['alice', 'bob', 'carol']);
  assert.deepEqual(noticeUsers(null), []);
  assert.ok(changesGroup({ kind: 'group_renamed', by: 'a', name: 'x' }));
  assert.ok(!changesGroup({ kind: 'recall', by: 'a', seq: 1 }));
});

test('initials and colours', () => {
  assert.equal(initials('Ada Lovelace'), 'AL');
  assert.equal(initials('bob'), 'B');
  assert.equal(initials('王小明'), '王');
  assert.equal(initials('  '), '?');
  assert.equal(avatarColor('bob'), avatarColor('bob'));
});

test('delivery ticks and group read-by', () => {
  const m = { ...msg(4, 'alice') };
  assert.equal(deliveryOf({ ...m, local: 'sending' }, undefined), 'sending');
  assert.equal(deliveryOf(m, { conv_type: 'single', peer_read_seq: 3 }), 'sent');
  assert.equal(deliveryOf(m, { conv_type: 'single', peer_read_seq: 4 }), 'read');
  const members = [
    { user_id: 'alice', read_seq: 9, joined_seq: 1 }, { user_id: 'bob', read_seq: 4, joined_seq: 1 },
    { user_id: 'c', read_seq: 2, joined_seq: 1 }, { user_id: 'late', read_seq: 9, joined_seq: 7 },
  ];
  assert.deepEqual(readBy(members, 4, 'alice'), ['bob'], 'not the sender, not behind, not joined later');
});

test('pending sends persist and reload', () => {
  const store = new Map<string, string>();
  const kv = { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => void store.set(k, v), removeItem: (k: string) => void store.delete(k) };
  const rec: PendingRecord = { cmid: 'x', conv_id: 's:a:b', conv_type: 'single', to: 'b', type: 'text', content: { text: 'hi' }, created_at: 1 };
  let list = upsertPending([], rec);
  list = upsertPending(list, rec);
  savePending(kv, 'k', list);
  assert.deepEqual(loadPending(kv, 'k'), [rec]);
  savePending(kv, 'k', dropPending(list, 'x'));
  assert.equal(store.has('k'), false);
  store.set('k', '{broken');
  assert.deepEqual(loadPending(kv, 'k'), []);
});
