import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import type { HistoryResult, Message } from '@parley/protocol';
import { DEFAULT_GAP_FILL, GapFiller } from '../src/gap-filler.js';
import { GapTracker } from '../src/gap-tracker.js';

/**
 * The hold of GapFiller with mocked timers: a fake server whose clock moves
 * only with the timers, commits that land out of seq order, pushes that come
 * late or never. setImmediate is not mocked; it lets promise chains settle.
 */
const CONV = 'g:team';
const DEADLINE = 5000;

function world() {
  let now = 1_000_000; // the server's clock (ms)
  const committed = new Map<number, Message>();
  const delivered: number[] = [];
  const pulls: { after: number; at: number }[] = [];
  const errors: Error[] = [];
  const tracker = new GapTracker();
  const filler = new GapFiller({
    tracker,
    options: { ...DEFAULT_GAP_FILL },
    fetchAfter: async (conv, after, limit): Promise<HistoryResult> => {
      assert.equal(conv, CONV);
      pulls.push({ after, at: now });
      const newer = [...committed.values()].filter((m) => m.seq > after).sort((a, b) => a.seq - b.seq);
      return { messages: newer.slice(0, limit), has_more: newer.length > limit, server_time: now };
    },
    deliver: (m) => delivered.push(m.seq),
    deadlineMs: () => DEADLINE,
    isOpen: () => true,
    report: (err) => errors.push(err),
  });
  /** a message whose seq was allocated `age` ms ago, committed on the server now */
  const commit = (seq: number, age = 0): Message => {
    const m: Message = {
      msg_id: `m${seq}`, conv_id: CONV, conv_type: 'group', seq, sender: 'bob', cmid: `c${seq}`,
      type: 'text', content: { text: `#${seq}` }, status: 'normal', created_at: now - age,
    };
    committed.set(seq, m);
    return m;
  };
  const settle = async () => {
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  };
  /** move the server's clock and the client's timers together, in steps, letting work run between */
  const advance = async (ms: number, step = 50) => {
    for (let left = ms; left > 0; left -= step) {
      const d = Math.min(step, left);
      now += d;
      mock.timers.tick(d);
      await settle();
    }
  };
  return { filler, tracker, committed, delivered, pulls, errors, commit, settle, advance, get now() { return now; } };
}

describe('gap filler hold (mocked timers)', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
  afterEach(() => mock.timers.reset());

  it('out-of-order pushes are held and released in seq order, once, with no pull', async () => {
    const w = world();
    w.filler.push(w.commit(1));
    // Two dispatchers: 4, 3 and 5 commit and are pushed before 2; 3 is pushed twice.
    for (const s of [4, 3, 5, 3]) w.filler.push(w.committed.get(s) ?? w.commit(s));
    await w.advance(100);
    assert.deepEqual(w.delivered, [1], 'nothing past the hole is emitted yet');
    w.filler.push(w.commit(2));
    assert.deepEqual(w.delivered, [1, 2, 3, 4, 5]);
    w.filler.push(w.committed.get(4)!);
    await w.advance(10_000);
    await w.filler.idle();
    assert.deepEqual(w.delivered, [1, 2, 3, 4, 5]);
    assert.deepEqual(w.pulls, [], 'the pushes closed the hole within the hold');
    assert.equal(w.tracker.lastSeq(CONV), 5);
  });

  it('a hole still open at the first pull is filled by a late push; nothing is pulled after it', async () => {
    const w = world();
    w.filler.push(w.commit(1));
    w.filler.push(w.commit(3));
    await w.advance(300); // the hold ends: one pull, 2 is not committed yet
    assert.equal(w.pulls.length, 1);
    assert.deepEqual(w.delivered, [1]);
    await w.advance(100);
    w.filler.push(w.commit(2)); // 2's commit and push land late
    assert.deepEqual(w.delivered, [1, 2, 3]);
    await w.advance(10_000);
    await w.filler.idle();
    assert.equal(w.pulls.length, 1);
    assert.deepEqual(w.delivered, [1, 2, 3]);
  });

  it('a hole filled by a late commit whose push is lost is found by a pull again', async () => {
    const w = world();
    w.filler.push(w.commit(1));
    w.filler.push(w.commit(3));
    w.filler.push(w.commit(4));
    await w.advance(300);
    assert.equal(w.pulls.length, 1, 'first pull: 2 not committed');
    await w.advance(100);
    w.commit(2); // committed, never pushed
    await w.advance(300); // the next pull comes within the hold again
    assert.equal(w.pulls.length, 2);
    assert.deepEqual(w.pulls.map((p) => p.after), [1, 1]);
    assert.deepEqual(w.delivered, [1, 2, 3, 4]);
    await w.filler.idle();
  });

  it('a hole older than the commit deadline is declared at once: catch-up needs no timer', async () => {
    const w = world();
    w.filler.push(w.commit(1));
    w.commit(3, 60_000); // 2 was lost in a crash a minute ago
    w.commit(4, 59_000);
    w.commit(6, 30_000); // 5 is an old resend gap
    w.commit(7);
    const done = w.filler.catchUp(CONV, 7);
    await w.settle();
    await done;
    assert.deepEqual(w.delivered, [1, 3, 4, 6, 7]);
    assert.equal(w.pulls.length, 1, 'one pull, no wait');
    // And behind a push: the hold, one pull, the old hole declared from that page.
    w.commit(9, 20_000);
    w.filler.push(w.commit(10));
    await w.advance(300);
    assert.deepEqual(w.delivered, [1, 3, 4, 6, 7, 9, 10]);
    assert.equal(w.pulls.length, 2);
    await w.filler.idle();
  });

  it('a young hole is held until the server shows the message above it older than the deadline, then declared', async () => {
    const w = world();
    w.filler.push(w.commit(1));
    const born = w.now;
    w.filler.push(w.commit(3)); // 2 was allocated but its commit failed: it never comes
    await w.advance(DEADLINE - 100);
    assert.deepEqual(w.delivered, [1], 'held while 2 could still commit');
    await w.advance(400);
    await w.filler.idle();
    assert.deepEqual(w.delivered, [1, 3]);
    const last = w.pulls[w.pulls.length - 1]!;
    assert.ok(last.at - born > DEADLINE, `declared from a page ${last.at - born} ms after 3 was allocated`);
    assert.ok(w.pulls.length <= DEFAULT_GAP_FILL.maxRefetches, `${w.pulls.length} pulls`);
    // No pull storm: the first after the hold, then doubling from it, the last when the hole turns final.
    const gaps = w.pulls.map((p, i) => p.at - (i === 0 ? born : w.pulls[i - 1]!.at));
    assert.deepEqual(gaps.slice(0, 5), [300, 300, 600, 1200, 2400], `gaps ${gaps.join(', ')}`);
    assert.equal(gaps.length, 6);
    // Order over completeness: a seq below the frontier is never emitted late.
    w.filler.push(w.commit(2));
    w.filler.push(w.commit(4));
    assert.deepEqual(w.delivered, [1, 3, 4]);
    assert.deepEqual(w.errors, []);
  });
});
