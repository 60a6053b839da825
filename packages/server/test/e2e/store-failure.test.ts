import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { StoreError } from '../../src/store/store.js';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.js';
import { RawClient } from '../helpers/raw-client.js';

/**
 * A store that cannot commit (full disk, dead database) must give the sender
 * a retryable error, never an ack; a resend with the same cmid once the store
 * is back stores the message exactly once.
 */
describe('store failure never produces a false ack', () => {
  let p: TestPlatform;
  before(async () => {
    p = await startTestPlatform();
  });
  after(async () => p?.destroy());

  it('answers unavailable while commits fail, then stores the resend once', async () => {
    const t = await p.users('sam', 'tia');
    const sam = await RawClient.authed(p.wsUrl, t.sam!);
    const tia = await RawClient.authed(p.wsUrl, t.tia!);
    const store = p.core.backends.store;
    const real = store.commitMessages.bind(store);
    // Fault injection on the real SQLite store: the commit fails as a full disk would.
    store.commitMessages = async () => {
      throw new StoreError('unavailable', 'SQLITE_FULL: database or disk is full');
    };
    try {
      const r: any = await sam.request({ op: 'send', id: 1, cmid: 'x1', conv_type: 'single', to: 'tia', type: 'text', content: { text: 'during outage' } });
      assert.equal(r.op, 'error');
      assert.equal(r.code, 'unavailable');
      assert.equal(r.retryable, true);
    } finally {
      store.commitMessages = real;
    }
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(tia.frames.filter((f) => f.op === 'msg').length, 0, 'nothing was pushed for the failed message');
    const ok: any = await sam.request({ op: 'send', id: 2, cmid: 'x1', conv_type: 'single', to: 'tia', type: 'text', content: { text: 'during outage' } });
    assert.equal(ok.op, 'ok');
    assert.equal(ok.data.duplicate, undefined, 'the first attempt had stored nothing');
    const h: any = await tia.request({ op: 'history', id: 3, conv_id: 's:sam:tia' });
    assert.deepEqual(h.data.messages.map((m: any) => m.cmid), ['x1']);
    sam.close();
    tia.close();
  });
});

describe('resend after a restart', () => {
  it('is deduped by the store: the original ack, nothing stored twice', async () => {
    const p1 = await startTestPlatform();
    const dir = p1.dataDir;
    const t = await p1.users('ria', 'sol');
    const ria = await RawClient.authed(p1.wsUrl, t.ria!);
    const first: any = await ria.request({ op: 'send', id: 1, cmid: 'r-1', conv_type: 'single', to: 'sol', type: 'text', content: { text: 'once' } });
    ria.close();
    await p1.stop();
    // Same data dir, new process state: the recent-acks map is empty, so the commit finds the cmid.
    const p2 = await startTestPlatform({}, dir);
    try {
      const ria2 = await RawClient.authed(p2.wsUrl, t.ria!);
      const again: any = await ria2.request({ op: 'send', id: 2, cmid: 'r-1', conv_type: 'single', to: 'sol', type: 'text', content: { text: 'once' } });
      assert.equal(again.data.seq, first.data.seq);
      assert.equal(again.data.msg_id, first.data.msg_id);
      assert.equal(again.data.duplicate, true);
      const h: any = await ria2.request({ op: 'history', id: 3, conv_id: 's:ria:sol' });
      assert.deepEqual(h.data.messages.map((m: any) => m.cmid), ['r-1']);
      ria2.close();
    } finally {
      await p2.destroy();
    }
  });
});
