import { it } from 'node:test';
import assert from 'node:assert/strict';
import { singleConvId } from '@parley/protocol';
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
