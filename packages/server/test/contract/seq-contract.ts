import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { SeqAllocator, SeqReserve, SeqSeed } from '../../src/seq/seq-allocator.js';

/**
 * A fake of the store's durable seq state: `committed` is the last stored
 * seq per conversation (what `seed`, Store.maxSeq, reads); `reserve` raises a
 * durable mark above max(mark, committed) like Store.reserveSeqBlock. The
 * store's own implementation is tested by the store contract; this fake lets
 * the allocator contract count calls and see every reservation.
 */
export class FakeDurableSeq {
  readonly marks = new Map<string, number>();
  calls = 0;

  constructor(private readonly committed: (convId: string) => number = () => 0, private readonly delayMs = 0) {}

  readonly seed: SeqSeed = async (_appId, convId) => {
    this.calls++;
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    return this.committed(convId);
  };

  readonly reserve: SeqReserve = async (appId, convId, size) => {
    this.calls++;
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    const k = `${appId}\u0000${convId}`;
    const first = Math.max(this.marks.get(k) ?? 0, this.committed(convId)) + 1;
    this.marks.set(k, first + size - 1);
    return { first, last: first + size - 1 };
  };
}

/**
 * The SeqAllocator seam's promises; run against every implementation. The
 * factory gets the durable state and wires whichever side its allocator
 * uses (memory: `seed`; Redis: `reserve`).
 */
export function runSeqContract(name: string, make: (durable: FakeDurableSeq) => Promise<{ seq: SeqAllocator; cleanup: () => Promise<void> }>): void {
  describe(`SeqAllocator contract: ${name}`, () => {
    const app = `app_${randomBytes(4).toString('hex')}`;

    it('starts above the committed high-water mark and increases strictly', async () => {
      const { seq, cleanup } = await make(new FakeDurableSeq((conv) => (conv === 'g:seeded' ? 41 : 0)));
      try {
        assert.equal(await seq.next(app, 'g:seeded'), 42);
        assert.equal(await seq.next(app, 'g:seeded'), 43);
        assert.equal(await seq.next(app, 'g:fresh'), 1);
      } finally {
        await cleanup();
      }
    });

    it('concurrent first calls share one seed and never hand out a number twice', async () => {
      const durable = new FakeDurableSeq(() => 100, 5);
      const { seq, cleanup } = await make(durable);
      try {
        const got = await Promise.all(Array.from({ length: 200 }, () => seq.next(app, 'g:race')));
        assert.equal(new Set(got).size, 200, 'unique');
        assert.equal(Math.min(...got), 101);
        assert.equal(Math.max(...got), 300);
        assert.ok(durable.calls >= 1 && durable.calls <= 10, `concurrent callers share store reads (${durable.calls} for 200 calls)`);
      } finally {
        await cleanup();
      }
    });

    it('keeps conversations and apps apart', async () => {
      const { seq, cleanup } = await make(new FakeDurableSeq());
      try {
        assert.equal(await seq.next(app, 'g:a'), 1);
        assert.equal(await seq.next(app, 'g:b'), 1);
        assert.equal(await seq.next(`${app}_2`, 'g:a'), 1);
        assert.equal(await seq.next(app, 'g:a'), 2);
      } finally {
        await cleanup();
      }
    });

    it('a new allocator after a restart re-seeds and never reuses a committed seq', async () => {
      const committed = new Map<string, number>([['g:r', 7]]);
      const durable = new FakeDurableSeq((conv) => committed.get(conv) ?? 0);
      const first = await make(durable);
      const a = await first.seq.next(app, 'g:r');
      assert.ok(a > 7);
      committed.set('g:r', a);
      await first.cleanup();
      const second = await make(durable);
      try {
        assert.ok((await second.seq.next(app, 'g:r')) > a);
      } finally {
        await second.cleanup();
      }
    });

    it('current is never below a seq handed out, and the next seq is above it', async () => {
      const { seq, cleanup } = await make(new FakeDurableSeq((conv) => (conv === 'g:cur' ? 9 : 0)));
      try {
        const before = await seq.current(app, 'g:cur');
        assert.ok(before >= 9, `current with no state is at least the committed mark (${before})`);
        const n = await seq.next(app, 'g:cur');
        assert.ok(n > before);
        assert.ok((await seq.current(app, 'g:cur')) >= n);
        const m = await seq.next(app, 'g:cur');
        assert.ok(m > n);
        assert.equal(await seq.current(app, 'g:cur'), m, 'current is the last seq handed out');
      } finally {
        await cleanup();
      }
    });
  });
}

/**
 * Two allocators on one backend (two dispatcher processes): never the same
 * seq, each caller's seqs increasing, nothing above the durable mark.
 * `makePair` wires both to the same durable state and backend.
 */
export function runSharedSeqContract(
  name: string,
  makePair: (durable: FakeDurableSeq) => Promise<{ a: SeqAllocator; b: SeqAllocator; cleanup: () => Promise<void> }>,
): void {
  describe(`SeqAllocator contract, two instances: ${name}`, () => {
    const app = `app_${randomBytes(4).toString('hex')}`;

    it('two allocators at once never hand out the same seq', async () => {
      const durable = new FakeDurableSeq(() => 0, 1);
      const { a, b, cleanup } = await makePair(durable);
      try {
        const sequential = async (s: SeqAllocator) => {
          const got: number[] = [];
          for (let i = 0; i < 150; i++) got.push(await s.next(app, 'g:shared'));
          return got;
        };
        const burst = (s: SeqAllocator) => Promise.all(Array.from({ length: 100 }, () => s.next(app, 'g:shared')));
        const [sa, sb, ba, bb] = await Promise.all([sequential(a), sequential(b), burst(a), burst(b)]);
        for (const run of [sa, sb]) {
          for (let i = 1; i < run.length; i++) assert.ok(run[i] > run[i - 1], 'one caller\'s seqs increase');
        }
        const all = [...sa, ...sb, ...ba, ...bb];
        assert.equal(new Set(all).size, all.length, 'no seq handed out twice');
        const mark = durable.marks.get(`${app}\u0000g:shared`) ?? 0;
        assert.ok(Math.max(...all) <= mark, 'every seq lies in a reserved block');
      } finally {
        await cleanup();
      }
    });
  });
}
