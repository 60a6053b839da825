import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Pusher } from '../../src/dispatch/pusher.js';
import { MemoryLocation } from '../../src/location/memory-location.js';
import type { ConnRef } from '../../src/location/location.js';
import type { DispatchSide, Downstream } from '../../src/transport/transport.js';

/**
 * dispatch → link: one downstream message per link (per life of a link) for
 * a push, however many of its connections it reaches — the payload given
 * once, the target connections beside it — never one per recipient.
 */
function recordingSide(): DispatchSide & { downs: Downstream[] } {
  const downs: Downstream[] = [];
  return { downs, down: (m) => void downs.push(m), onUp() {}, onLinkGone() {}, onLinkHeartbeat() {}, close: async () => {} };
}

const conn = (user: string, link: string, boot: string, i = 0): ConnRef => ({
  app_id: 'app', user_id: user, conn_id: `${user}-${link}-${i}`, link_id: link, boot_id: boot, platform: i ? 'ios' : 'web', connected_at: 1,
});

describe('Pusher', () => {
  it('a push to 300 connections on two links is two downstream messages, each with its link\'s targets and the one payload', async () => {
    const side = recordingSide();
    const location = new MemoryLocation();
    const users = Array.from({ length: 150 }, (_, i) => `u${i}`);
    for (const u of users) {
      await location.register(conn(u, 'L1', 'b1'), 'unlimited');
      await location.register(conn(u, 'L2', 'b2', 1), 'unlimited');
    }
    const payload = '{"op":"msg","msg":{"seq":1}}';
    const n = await new Pusher(side, location).toUsers('app', users, payload, 'u0-L1-0');
    assert.equal(n, 299, 'every connection but the sender\'s');
    assert.equal(side.downs.length, 2, 'one message per link');
    const byLink = new Map(side.downs.map((d) => [d.link_id, d]));
    const l1 = byLink.get('L1')!;
    const l2 = byLink.get('L2')!;
    assert.ok(l1.kind === 'push' && l2.kind === 'push');
    assert.equal(l1.payload, payload);
    assert.equal(l2.payload, payload);
    assert.equal(l1.boot_id, 'b1');
    assert.equal(l2.boot_id, 'b2');
    assert.deepEqual([...l1.conn_ids].sort(), users.slice(1).map((u) => `${u}-L1-0`).sort());
    assert.deepEqual([...l2.conn_ids].sort(), users.map((u) => `${u}-L2-1`).sort());
  });

  it('connections of two lives of one link (a restart not yet fenced) go in two messages, each naming its boot id', () => {
    const side = recordingSide();
    const pusher = new Pusher(side, new MemoryLocation());
    pusher.toConns([conn('a', 'L1', 'old'), conn('b', 'L1', 'new'), conn('c', 'L1', 'new')], '{}');
    assert.deepEqual(side.downs.map((d) => [d.link_id, d.boot_id, d.kind === 'push' ? d.conn_ids : []]), [
      ['L1', 'old', ['a-L1-0']], ['L1', 'new', ['b-L1-0', 'c-L1-0']],
    ]);
  });

  it('kicks and single replies travel as one message to the connection\'s link, naming its boot id', () => {
    const side = recordingSide();
    const pusher = new Pusher(side, new MemoryLocation());
    pusher.kick(conn('a', 'L2', 'b2'), '{"op":"kicked","reason":"replaced"}');
    pusher.sendTo('L1', 'c9', '{"op":"ok","id":1}', 'b1');
    assert.deepEqual(side.downs, [
      { kind: 'kick', link_id: 'L2', boot_id: 'b2', conn_id: 'a-L2-0', payload: '{"op":"kicked","reason":"replaced"}' },
      { kind: 'send', link_id: 'L1', boot_id: 'b1', conn_id: 'c9', payload: '{"op":"ok","id":1}' },
    ]);
  });
});
