import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Message } from '@parley/protocol';
import { buildRows, messageKey } from '../src/logic/rows.ts';
import { dayLabel, listTime, daysBetween, fileSize } from '../src/logic/time-format.ts';

const at = (d: number, h: number, m = 0) => new Date(2025, 2, d, h, m).getTime();
function msg(seq: number, sender: string, created_at: number, type: Message['type'] = 'text'): Message {
  return { msg_id: `m${seq}`, conv_id: 'g:x', conv_type: 'group', seq, sender, cmid: `c${seq}`, type, content: { text: 'x' }, status: 'normal', created_at };
}

test('day separators go before the first message of each day', () => {
  const now = at(12, 18);
  const rows = buildRows([msg(1, 'a', at(10, 9)), msg(2, 'a', at(11, 9)), msg(3, 'b', at(11, 10)), msg(4, 'a', at(12, 8))], 'a', now, 'en-US');
  assert.deepEqual(rows.map((r) => (r.kind === 'day' ? r.label : r.kind)), ['Monday', 'msg', 'Yesterday', 'msg', 'msg', 'Today', 'msg']);
});

test('runs: one sender within five minutes groups; a notice or a gap breaks it', () => {
  const rows = buildRows([
    msg(1, 'a', at(12, 9, 0)), msg(2, 'a', at(12, 9, 2)), msg(3, 'a', at(12, 9, 20)),
    msg(4, 'b', at(12, 9, 21)), msg(5, 'x', at(12, 9, 22), 'notice'), msg(6, 'b', at(12, 9, 23)),
  ], 'a', at(12, 10)).filter((r) => r.kind !== 'day');
  const shape = rows.map((r) => (r.kind === 'msg' ? `${r.msg.seq}${r.first ? 'F' : ''}${r.last ? 'L' : ''}${r.own ? 'o' : ''}` : 'N'));
  assert.deepEqual(shape, ['1Fo', '2Lo', '3FLo', '4FL', 'N', '6FL']);
});

test('row keys survive the ack of a local send', () => {
  const m = msg(0, 'a', 1);
  assert.equal(messageKey(m), messageKey({ ...m, seq: 42 }));
});

test('day labels and list times', () => {
  const now = at(20, 12);
  assert.equal(dayLabel(at(20, 1), now), 'Today');
  assert.equal(dayLabel(at(19, 23), now), 'Yesterday');
  assert.equal(dayLabel(at(17, 9), now, 'en-US'), 'Monday');
  assert.equal(dayLabel(at(1, 9), now, 'en-US'), 'Sat, Mar 1');
  assert.equal(dayLabel(new Date(2024, 0, 5).getTime(), now, 'en-US'), 'Jan 5, 2024');
  assert.equal(listTime(at(19, 9), now), 'Yesterday');
  assert.equal(listTime(at(17, 9), now, 'en-US'), 'Mon');
  assert.match(listTime(at(20, 9, 5), now, 'en-US'), /09:05/);
  assert.equal(daysBetween(at(1, 23), at(2, 0)), 1);
  assert.equal(fileSize(512), '512 B');
  assert.equal(fileSize(2048), '2.0 KB');
  assert.equal(fileSize(3 * 1024 * 1024), '3.0 MB');
});

test('a recalled message becomes one line; its recall notice is not shown twice', () => {
  const recalled = { ...msg(1, 'a', at(12, 9)), status: 'recalled' as const, content: null };
  const notice = { ...msg(2, 'a', at(12, 9, 1), 'notice'), content: { kind: 'recall', seq: 1, by: 'a' } };
  const rows = buildRows([recalled, notice, msg(3, 'a', at(12, 9, 2))], 'a', at(12, 10)).filter((r) => r.kind !== 'day');
  assert.deepEqual(rows.map((r) => `${r.kind}:${r.msg.seq}`), ['notice:1', 'msg:3']);
  const onlyNotice = buildRows([notice], 'a', at(12, 10)).filter((r) => r.kind !== 'day');
  assert.equal(onlyNotice.length, 1, 'the notice stays when its original is not loaded');
});
