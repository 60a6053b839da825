import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StoredMessage } from '../src/store/store.js';
import { messageOfRow, toCommitRow } from '../src/store/sqlite/commit-row.js';
import { previewJson } from '../src/store/sqlite/rows.js';

const base: StoredMessage = {
  app_id: 'a', conv_id: 'g:team', seq: 7, msg_id: 'm1', sender: 'u1', cmid: 'c1', type: 'text',
  content: { text: '北京 meeting ✓' }, status: 'normal', created_at: 1700000000000,
};

describe('CommitRow (a message on its way into the SQLite writer)', () => {
  it('reads back as the stored message would, field for field and in the same key order as the preview', () => {
    const cases: StoredMessage[] = [
      base,
      { ...base, mentions: ['u2', 'all'], reply_to: 3, edited_at: 1700000000100 },
      { ...base, mentions: [], type: 'link', content: { url: 'https://example.com', title: 't', description: 'd' } },
      { ...base, type: 'notice', content: { kind: 'recall', seq: 2 } },
      { ...base, content: null },
    ];
    for (const m of cases) {
      assert.equal(JSON.stringify(messageOfRow(toCommitRow(m))), previewJson(m), JSON.stringify(m));
    }
  });

  it('carries the text the search column is folded from, and none for a type that is not searched', () => {
    assert.equal(toCommitRow(base)[13], '北京 meeting ✓');
    assert.equal(toCommitRow({ ...base, type: 'image', content: { url: 'x' } })[13], null);
  });
});
