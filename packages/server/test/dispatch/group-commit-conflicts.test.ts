import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GroupCommitter } from '../../src/dispatch/group-commit.js';
import type { CommitResult, Store, StoredMessage } from '../../src/store/store.js';

const msg = (seq: number, cmid = `c${seq}`): StoredMessage => ({
  app_id: 'a', conv_id: 'g:c', seq, msg_id: `m${seq}`, sender: 'u1', cmid, type: 'text', content: { text: String(seq) }, status: 'normal', created_at: seq,
});

describe('group commit with per-message seq conflicts', () => {
  it('tells only the messages the store reports as conflicts (the pipeline re-sequences them); the rest is stored or deduped', async () => {
    const original = msg(1, 'dup');
    const batches: StoredMessage[][] = [];
    const store = {
      async commitMessages(batch: StoredMessage[]): Promise<CommitResult> {
        batches.push(batch);
        return { duplicates: batch.filter((m) => m.cmid === 'dup').map(() => original), conflicts: batch.filter((m) => m.seq === 3) };
      },
    } as unknown as Store;
    const committer = new GroupCommitter(store, { windowMs: 0, maxBatch: 100 });
    const outcomes = await Promise.all([committer.enqueue(msg(2)), committer.enqueue(msg(3)), committer.enqueue(msg(4, 'dup')), committer.enqueue(msg(5))]);
    assert.equal(batches.length, 1, 'one batch');
    assert.deepEqual(outcomes, [{ status: 'stored' }, { status: 'conflict' }, { status: 'duplicate', original }, { status: 'stored' }]);
  });
});
