import { it } from 'node:test';
import assert from 'node:assert/strict';
import { singleConvId } from '@parley/protocol';
import { startApi } from '../api/helpers.js';

it('a message whose seq another allocator already used is re-sequenced and committed again; the others are untouched', async () => {
  const h = await startApi();
  try {
    await h.users('alice', 'bob');
    const store = h.core.backends.store;
    const conv = singleConvId('alice', 'bob');
    const commit = store.commitMessages.bind(store);
    const send = (cmid: string) => h.core.pipeline.send({ app_id: h.appId, sender: 'alice', cmid, conv_type: 'single', to: 'bob', type: 'text', content: { text: cmid } });
    assert.equal((await send('one')).seq, 1);
    // Another dispatcher (its own allocator) stores seq 2 and 3 meanwhile.
    for (const seq of [2, 3]) {
      await commit([{ app_id: h.appId, conv_id: conv, seq, msg_id: `other-${seq}`, sender: 'bob', cmid: `other-${seq}`, type: 'text', content: { text: 'x' }, status: 'normal', created_at: h.now() }]);
    }
    const two = await send('two');
    assert.equal(two.seq, 4, 'seq 2 and 3 were taken: the message got a fresh seq above them');
    assert.equal(two.duplicate, undefined);
    assert.equal((await store.getMessage(h.appId, conv, 4))?.cmid, 'two');
    assert.equal((await h.metrics.seqConflicts.get()).values[0]!.value, 2);
    const again = await send('two');
    assert.equal(again.seq, 4, 'a resend still answers with the stored seq');
  } finally {
    await h.close();
  }
});
