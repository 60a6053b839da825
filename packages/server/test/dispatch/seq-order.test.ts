import { it } from 'node:test';
import assert from 'node:assert/strict';
import { singleConvId } from '@parley/protocol';
import { OrderedSeq } from '../../src/dispatch/ordered-seq.js';
import { startApi } from '../api/helpers.js';

/** A promise that settles after a random number of turns of the event loop (0–8): latency without wall-clock. */
function jitter(): Promise<void> {
  let n = Math.floor(Math.random() * 9);
  return new Promise((resolve) => {
    const step = () => (n-- <= 0 ? resolve() : setImmediate(step));
    step();
  });
}

it('a connection\'s messages keep their order even when the seq allocator answers concurrent calls out of order', async () => {
  const h = await startApi();
  try {
    await h.users('alice', 'bob');
    const seq = h.core.backends.seq;
    const next = seq.next.bind(seq);
    // Like a Redis allocator refilling its block: the number is taken only after a variable delay.
    seq.next = async (app, conv) => {
      await jitter();
      return next(app, conv);
    };
    const N = 40;
    const committed: Promise<unknown>[] = [];
    for (let i = 0; i < N; i++) {
      // The dispatcher's per-connection chain: each send is accepted before the next, commits overlap.
      const { committed: c } = await h.core.pipeline.accept({ app_id: h.appId, sender: 'alice', cmid: `m${i}`, conv_type: 'single', to: 'bob', type: 'text', content: { text: `${i}` } });
      committed.push(c);
    }
    await Promise.all(committed);
    const rows = await h.core.backends.store.history({ app_id: h.appId, conv_id: singleConvId('alice', 'bob'), user_id: 'alice', after: 0, limit: 100 });
    assert.deepEqual(rows.map((m) => m.cmid), Array.from({ length: N }, (_, i) => `m${i}`));
  } finally {
    await h.close();
  }
});

it('OrderedSeq: numbers given in request order within and across groups; a failed call fails the latest request of its group', async () => {
  let counter = 0;
  let calls = 0;
  const answers: Array<() => void> = [];
  // An allocator whose calls answer only when the test says so, in any order; call 3 fails.
  const seq = {
    next: () => new Promise<number>((resolve, reject) => {
      const n = ++calls;
      answers.push(() => (n === 3 ? reject(new Error('seq down')) : resolve(++counter)));
    }),
    current: async () => counter,
    close: async () => {},
  };
  const ordered = new OrderedSeq(seq);
  const first = [ordered.next('a', 'c'), ordered.next('a', 'c')];
  await new Promise((r) => setImmediate(r));
  assert.equal(answers.length, 2, 'the first group is in flight');
  const second = [ordered.next('a', 'c'), ordered.next('a', 'c'), ordered.next('a', 'c')];
  await new Promise((r) => setImmediate(r));
  assert.equal(answers.length, 2, 'later requests wait for the group in flight');
  answers[1]!(); // answers out of order: the second call gets 1, the first 2
  answers[0]!();
  assert.deepEqual(await Promise.all(first), [1, 2]);
  await new Promise((r) => setImmediate(r));
  assert.equal(answers.length, 5, 'then the next group goes out at once');
  answers[4]!();
  answers[2]!(); // call 3 fails
  answers[3]!();
  const got = await Promise.allSettled(second);
  assert.deepEqual(got.map((g) => (g.status === 'fulfilled' ? g.value : 'failed')), [3, 4, 'failed']);
});
