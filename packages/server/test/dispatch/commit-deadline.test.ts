import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ParleyError } from '@parley/protocol';
import { GroupCommitter } from '../../src/dispatch/group-commit.js';
import type { CommitResult, Store, StoredMessage } from '../../src/store/store.js';

const msg = (seq: number, created_at: number): StoredMessage => ({
  app_id: 'a', conv_id: 'g:c', seq, msg_id: `m${seq}`, sender: 'u1', cmid: `c${seq}`, type: 'text', content: { text: String(seq) }, status: 'normal', created_at,
});

/** A store whose commits finish only when the test says so, recording what each batch held. */
function heldStore() {
  const batches: number[][] = [];
  const releases: (() => void)[] = [];
  const store = {
    commitMessages(batch: StoredMessage[]): Promise<CommitResult> {
      batches.push(batch.map((m) => m.seq));
      return new Promise((resolve) => releases.push(() => resolve({ duplicates: [], conflicts: [], not_members: [] })));
    },
  } as unknown as Store;
  return { store, batches, release: () => releases.shift()!() };
}

async function until(pred: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !pred(); i++) await new Promise((r) => setImmediate(r));
  assert.ok(pred(), 'condition never held');
}

async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    return ((await p) as { status: string }).status;
  } catch (err) {
    assert.ok(err instanceof ParleyError);
    assert.equal(err.retryable, true);
    return err.code;
  }
}

describe('group commit deadline', () => {
  it('refuses, with unavailable, the messages older than the deadline minus its margin when their batch starts; the rest commit', async () => {
    let now = 10_000;
    const { store, batches, release } = heldStore();
    const committer = new GroupCommitter(store, { windowMs: 0, maxBatch: 100, deadlineMs: 5000, clock: () => now });
    const first = outcome(committer.enqueue(msg(1, now)));
    await until(() => batches.length === 1); // batch 1 is committing: what comes now waits for it
    const waiting = [
      outcome(committer.enqueue(msg(2, 10_000))), // allocated at 10 000
      outcome(committer.enqueue(msg(3, 11_000))), // at 11 000
    ];
    now = 15_000; // the store was slow: 5 s later (margin 1 s, so refused above an age of 4 s)
    release();
    assert.equal(await first, 'stored', 'a batch already committing is not refused');
    // 2 is 5 s old: refused before the store sees it; 3 is exactly 4 s old: still in time.
    await until(() => batches.length === 2);
    assert.deepEqual(batches, [[1], [3]]);
    assert.equal(await waiting[0], 'unavailable', 'answered while the rest of its batch is still committing');
    release();
    assert.equal(await waiting[1], 'stored');
  });

  it('a batch made only of expired messages reaches no store; without a deadline nothing is refused', async () => {
    let now = 0;
    const held = heldStore();
    const strict = new GroupCommitter(held.store, { windowMs: 0, maxBatch: 100, deadlineMs: 1000, clock: () => now });
    const m = msg(7, 0);
    now = 801; // past 1000 − 200
    assert.equal(await outcome(strict.enqueue(m)), 'unavailable');
    await strict.flush();
    assert.deepEqual(held.batches, []);

    const lax = heldStore();
    const none = new GroupCommitter(lax.store, { windowMs: 0, maxBatch: 100, clock: () => now });
    now = 1_000_000;
    const p = outcome(none.enqueue(msg(8, 0)));
    await until(() => lax.batches.length === 1);
    lax.release();
    assert.equal(await p, 'stored');
  });
});
