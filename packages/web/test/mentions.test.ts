import { test } from 'node:test';
import assert from 'node:assert/strict';
import { collectMentions, filterCandidates, insertMention, mentionQueryAt, mentionsUser, segmentText } from '../src/logic/mentions.ts';
import { findUrls, describeUrl, safeHref } from '../src/logic/links.ts';

const members = [{ user_id: 'bob', name: 'Bob Stone' }, { user_id: 'carol', name: 'Carol' }, { user_id: 'wang', name: '王小明' }];

test('a mention query is an @ at a word start up to the caret', () => {
  assert.deepEqual(mentionQueryAt('hi @bo', 6), { start: 3, query: 'bo' });
  assert.deepEqual(mentionQueryAt('@', 1), { start: 0, query: '' });
  assert.equal(mentionQueryAt('mail a@b', 8), null, 'an email address is not a mention');
  assert.equal(mentionQueryAt('@bob hello', 10), null, 'a space ends it');
  assert.equal(mentionQueryAt('no at', 5), null);
});

test('candidates: prefix matches first, by name or id, Chinese too', () => {
  assert.deepEqual(filterCandidates(members, 'c').map((c) => c.user_id), ['carol']);
  assert.deepEqual(filterCandidates(members, 'o').map((c) => c.user_id), ['bob', 'carol']);
  assert.deepEqual(filterCandidates(members, '小明').map((c) => c.user_id), ['wang']);
  assert.equal(filterCandidates(members, '').length, 3);
});

test('picking a member replaces the query and moves the caret', () => {
  const r = insertMention('hi @bo there', { start: 3, query: 'bo' }, 6, 'Bob Stone');
  assert.equal(r.text, 'hi @Bob Stone there');
  assert.equal(r.caret, 14);
});

test('mentions sent are the picked members still in the text, plus @all', () => {
  const picked = [members[0]!, members[1]!];
  assert.deepEqual(collectMentions('hey @Bob Stone, look', picked), ['bob']);
  assert.deepEqual(collectMentions('@Carol and @all', picked), ['carol', 'all']);
  assert.deepEqual(collectMentions('email@Carol', picked), []);
  assert.ok(mentionsUser(['all'], 'x'));
  assert.ok(!mentionsUser(undefined, 'x'));
});

test('text segments: links and mentions', () => {
  const segs = segmentText('ask @王小明 about https://example.com/a(b). ok', ['王小明']);
  assert.deepEqual(segs, [
    { kind: 'text', text: 'ask ' }, { kind: 'mention', text: '@王小明' }, { kind: 'text', text: ' about ' },
    { kind: 'link', text: 'https://example.com/a(b)' }, { kind: 'text', text: '. ok' },
  ]);
  assert.deepEqual(segmentText('plain', []), [{ kind: 'text', text: 'plain' }]);
});

test('links: trailing punctuation and brackets, safe hrefs', () => {
  assert.deepEqual(findUrls('(see https://a.io/x).').map((u) => u.url), ['https://a.io/x']);
  assert.deepEqual(findUrls('看这个https://a.io/中文，好吗').map((u) => u.url), ['https://a.io/中文']);
  assert.deepEqual(describeUrl('https://www.example.com/path?q=1'), { host: 'example.com', path: '/path?q=1' });
  assert.equal(safeHref('javascript:alert(1)'), undefined);
  assert.equal(safeHref('/files/abc.png'), '/files/abc.png');
  assert.equal(safeHref('//evil.com/x'), undefined);
});
