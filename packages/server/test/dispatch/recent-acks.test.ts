import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { SendAck } from '@parley/protocol';
import { RecentAcks } from '../../src/dispatch/recent-acks.js';

const ack = (i: number): SendAck => ({ cmid: `c${i}`, msg_id: `m${i}`, conv_id: 's:a:b', seq: i, created_at: i });

describe('RecentAcks', () => {
  it('answers the latest `capacity` acks and never holds more than twice that', () => {
    const cap = 100;
    const r = new RecentAcks(cap);
    for (let i = 1; i <= 1000; i++) {
      r.set(`k${i}`, ack(i));
      assert.ok(r.size <= 2 * cap, `size ${r.size} after ${i}`);
      // the last `capacity` entries are always there
      for (const j of [i, Math.max(1, i - cap + 1)]) assert.deepEqual(r.get(`k${j}`), ack(j), `k${j} after ${i}`);
    }
    assert.equal(r.get('k1'), undefined, 'the oldest generation was dropped');
    assert.equal(r.get('never'), undefined);
  });

  it('a key set again answers its newest ack', () => {
    const r = new RecentAcks(3);
    r.set('k', ack(1));
    r.set('x', ack(2));
    r.set('y', ack(3)); // k is now in the old generation
    r.set('k', ack(4));
    assert.equal(r.get('k')?.seq, 4);
  });

  it('refuses a capacity below 1', () => {
    assert.throws(() => new RecentAcks(0), RangeError);
  });
});
