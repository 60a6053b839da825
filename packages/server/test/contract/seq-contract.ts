import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { SeqAllocator, SeqReserve } from '../../src/seq/seq-allocator.js';

/**
 * A durable mark for the contract: what `Store.reserveSeqBlock` promises, in
 * memory (the store's own contract tests the real one). `committed` stands for
 * the last stored seq per conversation; `calls` records every reservation.
 */
export function fakeReserve(committed = new Map<string, number>()) {
  const marks = new Map<string, number>();
  const calls: Array<{ convId: string; first: number; last: number }> = [];
  const reserve: SeqReserve = async (appId, convId, size) => {
    await new Promise((r) => setImmediate(r)); // never answers synchronously
    const k = `${appId}\u0000${convId}`;
    const first = Math.max(marks.get(k) ?? 0, committed.get(convId) ?? 0) + 1;
    const last = first + size - 1;
    marks.set(k, last);
    calls.push({ convId, first, last });
    return { first, last };
  };
  return { reserve, calls, committed };
}

/**
 * The SeqAllocator seam's promises; run against every implementation (memory
 * now, Redis later). `make` builds an allocator over the given durable
 * reservation; calling it twice with one reserve gives two instances on one
 * backend (two dispatchers).
 */
export function runSeqContract(name: string, make: (reserve: SeqReserve) => Promise<{ seq: SeqAllocator; cleanup: () => Promise<void> }>): void {
  describe(`SeqAllocator contract: ${name}`, () => {
    const app = `app_${randomBytes(4).toString('hex')}`;

    it('starts above the committed seq and increases strictly', async () => {
      const { reserve } = fakeReserve(new Map([['g:seeded', 41]]));
      const { seq, cleanup } = await make(reserve);
      try {
        assert.equal(await seq.next(app, 'g:seeded'), 42);
        assert.equal(await seq.next(app, 'g:seeded'), 43);
        assert.equal(await seq.next(app, 'g:fresh'), 1);
      } finally {
        await cleanup();
      }
    });

    it('hands out only seqs of blocks whose reservation had resolved', async () => {
      const f = fakeReserve();
      const { seq, cleanup } = await make(f.reserve);
      try {
        for (let i = 0; i < 350; i++) {
          const s = await seq.next(app, 'g:blocks');
          assert.ok(f.calls.some((c) => c.convId === 'g:blocks' && c.first <= s && s <= c.last), `seq ${s} is inside a reserved block`);
        }
      } finally {
        await cleanup();
      }
    });

    it('concurrent calls never hand out a number twice', async () => {
      const { reserve } = fakeReserve(new Map([['g:race', 100]]));
      const { seq, cleanup } = await make(reserve);
      try {
        const got = await Promise.all(Array.from({ length: 500 }, () => seq.next(app, 'g:race')));
        assert.equal(new Set(got).size, 500, 'unique');
        assert.ok(Math.min(...got) >= 101);
      } finally {
        await cleanup();
      }
    });

    it('two allocators on one store never hand out the same seq', async () => {
      const { reserve } = fakeReserve();
      const a = await make(reserve);
      const b = await make(reserve);
      try {
        const got = await Promise.all(Array.from({ length: 400 }, (_, i) => (i % 2 ? a : b).seq.next(app, 'g:two')));
        assert.equal(new Set(got).size, 400, 'unique across instances');
      } finally {
        await a.cleanup();
        await b.cleanup();
      }
    });

    it('current is the highest seq handed out, and below anything handed out later', async () => {
      const { reserve } = fakeReserve(new Map([['g:cur', 9]]));
      const { seq, cleanup } = await make(reserve);
      try {
        const before = await seq.current(app, 'g:cur');
        assert.ok(before >= 9, 'never below a committed seq');
        const first = await seq.next(app, 'g:cur');
        assert.ok(first > before);
        await seq.next(app, 'g:cur');
        const third = await seq.next(app, 'g:cur');
        assert.equal(await seq.current(app, 'g:cur'), third);
        assert.ok((await seq.next(app, 'g:cur')) > third);
      } finally {
        await cleanup();
      }
    });

    it('keeps conversations and apps apart', async () => {
      const { reserve } = fakeReserve();
      const { seq, cleanup } = await make(reserve);
      try {
        assert.equal(await seq.next(app, 'g:a'), 1);
        assert.equal(await seq.next(app, 'g:b'), 1);
        assert.equal(await seq.next(`${app}_2`, 'g:a'), 1);
        assert.equal(await seq.next(app, 'g:a'), 2);
      } finally {
        await cleanup();
      }
    });

    it('a new allocator after a restart continues above every seq handed out before, committed or not', async () => {
      const { reserve } = fakeReserve();
      const first = await make(reserve);
      const handed: number[] = [];
      for (let i = 0; i < 3; i++) handed.push(await first.seq.next(app, 'g:r'));
      await first.cleanup(); // nothing of it was committed: only the durable mark remembers
      const second = await make(reserve);
      try {
        assert.ok((await second.seq.next(app, 'g:r')) > Math.max(...handed));
      } finally {
        await second.cleanup();
      }
    });
  });
}

/**
 * Two allocators sharing one backend's state (two dispatcher processes on one
 * Redis), not only one store: never the same seq, each caller's seqs
 * increasing, every seq inside a reserved block. `makePair` wires both to
 * the same reserve and the same backend.
 */
export function runSharedSeqContract(
  name: string,
  makePair: (reserve: SeqReserve) => Promise<{ a: SeqAllocator; b: SeqAllocator; cleanup: () => Promise<void> }>,
): void {
  describe(`SeqAllocator contract, two instances on one backend: ${name}`, () => {
    const app = `app_${randomBytes(4).toString('hex')}`;

    it('two allocators at once never hand out the same seq, and one caller\'s seqs increase', async () => {
      const f = fakeReserve();
      const { a, b, cleanup } = await makePair(f.reserve);
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
        for (const s of all) assert.ok(f.calls.some((c) => c.first <= s && s <= c.last), `seq ${s} lies in a reserved block`);
      } finally {
        await cleanup();
      }
    });
  });
}
