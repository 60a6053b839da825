import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Backoff, backoffDelay, DEFAULT_BACKOFF } from '../src/backoff.js';
import { Emitter } from '../src/events.js';
import { GapTracker } from '../src/gap-tracker.js';
import { Outbox } from '../src/outbox.js';

test('backoff grows by the factor, is capped, and jitter stays within its band', () => {
  const opts = { minMs: 100, maxMs: 1000, factor: 2, jitter: 0 };
  assert.deepEqual([0, 1, 2, 3, 4, 5].map((a) => backoffDelay(opts, a)), [100, 200, 400, 800, 1000, 1000]);
  const j = { ...opts, jitter: 0.2 };
  assert.equal(backoffDelay(j, 1, () => 0), 160);
  assert.equal(backoffDelay(j, 1, () => 1), 240);
  assert.equal(backoffDelay(j, 10, () => 1), 1000, 'jitter never exceeds maxMs');
  for (let i = 0; i < 200; i++) {
    const d = backoffDelay(DEFAULT_BACKOFF, 2);
    assert.ok(d >= 800 && d <= 1200, `${d}`);
  }
  const b = new Backoff(opts);
  assert.deepEqual([b.next(), b.next(), b.next()], [100, 200, 400]);
  b.reset();
  assert.equal(b.next(), 100);
});

test('gap tracker: frontier, holes, own seqs parked above a hole, bounded dedup', () => {
  const t = new GapTracker({ dedupCapacity: 4, maxAhead: 2 });
  assert.equal(t.lastSeq('c'), undefined);
  assert.equal(t.record('c', 5), true);
  assert.equal(t.record('c', 5), false);
  assert.equal(t.lastSeq('c'), 5);
  t.record('c', 8); // above the hole at 6, 7
  assert.equal(t.lastSeq('c'), 5);
  t.record('c', 6);
  t.record('c', 7);
  assert.equal(t.lastSeq('c'), 8, 'closes up over parked seqs');
  t.jumpTo('c', 20);
  assert.equal(t.lastSeq('c'), 20);
  t.jumpTo('c', 10);
  assert.equal(t.lastSeq('c'), 20, 'never moves back');
  assert.equal(t.record('c', 15), false, 'at or below the frontier: never delivered late');
  assert.equal(t.seen('c', 15), true);
  // dedup capacity 4 (8, 6, 7, 15 now): one more and the oldest key is forgotten
  assert.equal(t.seen('c', 8), true);
  t.record('c', 21);
  assert.equal(t.seen('c', 8), false);
  assert.equal(t.seen('c', 6), true);
  // too many parked above one hole: the hole is given up on
  t.record('d', 1);
  t.record('d', 3);
  t.record('d', 4);
  assert.equal(t.lastSeq('d'), 1);
  t.record('d', 6);
  assert.equal(t.lastSeq('d'), 4);
});

test('outbox keeps issue order and settles each entry once', async () => {
  const o = new Outbox();
  const msg = (cmid: string) => ({ cmid, conv_type: 'single' as const, to: 'b', type: 'text' as const, content: { text: cmid } });
  const a = o.add(msg('a')).entry;
  o.add(msg('b'));
  o.add(msg('c'));
  assert.equal(o.add(msg('b')).added, false);
  assert.deepEqual(o.list().map((e) => e.message.cmid), ['a', 'b', 'c']);
  const ack = { cmid: 'a', msg_id: 'm', conv_id: 's:a:b', seq: 1, created_at: 0 };
  assert.equal(o.ack('a', ack), true);
  assert.equal(o.ack('a', ack), false);
  assert.deepEqual(await a.promise, ack);
  o.rejectAll(new Error('closed'));
  assert.equal(o.size, 0);
});

test('emitter: typed handlers, unsubscribe, handler errors go to error handlers', () => {
  const e = new Emitter<{ x: number; error: Error }>();
  const seen: number[] = [];
  const errors: string[] = [];
  const off = e.on('x', (n) => seen.push(n));
  e.on('x', () => {
    throw new Error('boom');
  });
  e.on('error', (err) => errors.push(err.message));
  e.on('error', () => {
    throw new Error('ignored');
  });
  e.emit('x', 1);
  off();
  e.emit('x', 2);
  assert.deepEqual(seen, [1]);
  assert.deepEqual(errors, ['boom', 'boom']);
});
