import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GroupCommitter } from '../../src/dispatch/group-commit.js';
import type { CommitResult, Store, StoredMessage } from '../../src/store/store.js';

const msg = (seq: number, cmid = `c${seq}`, sender = 'u1'): StoredMessage => ({
  app_id: 'a', conv_id: 'g:c', seq, msg_id: `m${seq}`, sender, cmid, type: 'text', content: { text: String(seq) }, status: 'normal', created_at: seq,
});

describe('group commit with per-message outcomes', () => {
  it('tells each message stored, duplicate, seq conflict or not a member, as the store reported; only stored ones are delivered', async () => {
    const original = msg(1, 'dup');
    const batches: StoredMessage[][] = [];
    const store = {
      async commitMessages(batch: StoredMessage[]): Promise<CommitResult> {
        batches.push(batch);
        return {
          duplicates: batch.filter((m) => m.cmid === 'dup').map(() => original),
          conflicts: batch.filter((m) => m.seq === 3),
          not_members: batch.filter((m) => m.sender === 'gone'),
        };
      },
    } as unknown as Store;
    const delivered: number[] = [];
    const committer = new GroupCommitter(store, { windowMs: 0, maxBatch: 100 }, undefined, undefined, async (items) => {
      delivered.push(...items.map((i) => i.msg.seq));
    });
    const d = { recipients: ['u1'] };
    const outcomes = await Promise.all([
      committer.enqueue(msg(2), d), committer.enqueue(msg(3), d), committer.enqueue(msg(4, 'dup'), d),
      committer.enqueue(msg(5), d), committer.enqueue(msg(6, 'c6', 'gone'), d),
    ]);
    assert.equal(batches.length, 1, 'one batch');
    assert.deepEqual(outcomes, [
      { status: 'stored' }, { status: 'conflict' }, { status: 'duplicate', original }, { status: 'stored' }, { status: 'not_member' },
    ]);
    assert.deepEqual(delivered, [2, 5], 'only stored messages are pushed and published');
  });
});
