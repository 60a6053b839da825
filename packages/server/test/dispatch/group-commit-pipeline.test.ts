import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GroupCommitter } from '../../src/dispatch/group-commit.js';
import type { CommitResult, Store, StoredMessage } from '../../src/store/store.js';

const msg = (seq: number): StoredMessage => ({
  app_id: 'a', conv_id: 'g:c', seq, msg_id: `m${seq}`, sender: 'u1', cmid: `c${seq}`, type: 'text', content: { text: String(seq) }, status: 'normal', created_at: seq,
});
const OK: CommitResult = { duplicates: [], conflicts: [], not_members: [] };

/** A store whose commits answer only when the test says so, in any order. */
function heldStore(depth: number) {
  const calls: { seqs: number[]; answer: (r?: CommitResult | Error) => void }[] = [];
  const store = {
    commitPipelineDepth: depth,
    commitMessages(batch: StoredMessage[]): Promise<CommitResult> {
      return new Promise((resolve, reject) => {
        calls.push({ seqs: batch.map((m) => m.seq), answer: (r) => (r instanceof Error ? reject(r) : resolve(r ?? OK)) });
      });
    },
  } as unknown as Store;
  return { store, calls };
}

const until = async (cond: () => boolean) => {
  for (let i = 0; i < 1000 && !cond(); i++) await new Promise((r) => setImmediate(r));
  assert.ok(cond(), 'condition not reached');
};

describe('group commit pipelined over a store that takes several batches at once', () => {
  it('hands the next batch over while one is being written, and settles batches in the order they started', async () => {
    const { store, calls } = heldStore(2);
    const delivered: number[] = [];
    const committer = new GroupCommitter(store, { windowMs: 0, maxBatch: 2 }, undefined, undefined, async (items) => {
      delivered.push(...items.map((i) => i.msg.seq));
    });
    const d = { recipients: ['u2'] };
    const first = [committer.enqueue(msg(1), d), committer.enqueue(msg(2), d)];
    const second = [committer.enqueue(msg(3), d), committer.enqueue(msg(4), d)];
    const third = [committer.enqueue(msg(5), d)];
    await until(() => calls.length === 2);
    assert.deepEqual(calls.map((c) => c.seqs), [[1, 2], [3, 4]], 'two batches in flight, the third waits');
    // the later batch answers first: nothing of it is settled before the earlier one
    calls[1]!.answer();
    await until(() => calls.length === 3);
    assert.deepEqual(calls[2]!.seqs, [5], 'a freed slot takes the next batch');
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(delivered, [], 'batch 2 waits for batch 1 to settle');
    calls[0]!.answer();
    calls[2]!.answer();
    assert.deepEqual(await Promise.all([...first, ...second, ...third]), Array(5).fill({ status: 'stored' }));
    assert.deepEqual(delivered, [1, 2, 3, 4, 5], 'pushed in start order');
  });

  it('a failed batch rejects only its own messages; flush waits for every batch in flight', async () => {
    const { store, calls } = heldStore(2);
    const committer = new GroupCommitter(store, { windowMs: 0, maxBatch: 1 }, undefined, undefined, async () => undefined);
    const a = committer.enqueue(msg(1));
    const b = committer.enqueue(msg(2));
    const c = committer.enqueue(msg(3));
    await until(() => calls.length === 2);
    let flushed = false;
    const flushing = committer.flush().then(() => (flushed = true));
    calls[0]!.answer(new Error('disk full'));
    await assert.rejects(a, (e: Error & { code?: string }) => e.code === 'unavailable');
    await until(() => calls.length === 3);
    assert.equal(flushed, false, 'batches 2 and 3 still in flight');
    calls[1]!.answer();
    calls[2]!.answer();
    await flushing;
    assert.deepEqual(await Promise.all([b, c]), [{ status: 'stored' }, { status: 'stored' }]);
  });

  it('a store without a depth gets one batch at a time', async () => {
    const { store, calls } = heldStore(1);
    const committer = new GroupCommitter(store, { windowMs: 0, maxBatch: 1 }, undefined, undefined, async () => undefined);
    const all = [committer.enqueue(msg(1)), committer.enqueue(msg(2))];
    await until(() => calls.length === 1);
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    assert.equal(calls.length, 1, 'the second batch waits for the first');
    calls[0]!.answer();
    await until(() => calls.length === 2);
    calls[1]!.answer();
    await Promise.all(all);
  });
});
