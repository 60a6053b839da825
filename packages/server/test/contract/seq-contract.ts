import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { SeqAllocator, SeqSeed } from '../../src/seq/seq-allocator.js';

/** The SeqAllocator seam's promises; run against every implementation (memory now, Redis later). */
export function runSeqContract(name: string, make: (seed: SeqSeed) => Promise<{ seq: SeqAllocator; cleanup: () => Promise<void> }>): void {
  describe(`SeqAllocator contract: ${name}`, () => {
    const app = `app_${randomBytes(4).toString('hex')}`;

    it('starts above the committed high-water mark and increases strictly', async () => {
      const { seq, cleanup } = await make(async (_a, conv) => (conv === 'g:seeded' ? 41 : 0));
      try {
        assert.equal(await seq.next(app, 'g:seeded'), 42);
        assert.equal(await seq.next(app, 'g:seeded'), 43);
        assert.equal(await seq.next(app, 'g:fresh'), 1);
      } finally {
        await cleanup();
      }
    });

    it('concurrent first calls share one seed and never hand out a number twice', async () => {
      let seeds = 0;
      const { seq, cleanup } = await make(async () => {
        seeds++;
        await new Promise((r) => setTimeout(r, 5));
        return 100;
      });
      try {
        const got = await Promise.all(Array.from({ length: 200 }, () => seq.next(app, 'g:race')));
        assert.equal(new Set(got).size, 200, 'unique');
        assert.equal(Math.min(...got), 101);
        assert.equal(Math.max(...got), 300);
        assert.ok(seeds >= 1);
      } finally {
        await cleanup();
      }
    });

    it('keeps conversations and apps apart', async () => {
      const { seq, cleanup } = await make(async () => 0);
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
      const seed: SeqSeed = async (_a, conv) => committed.get(conv) ?? 0;
      const first = await make(seed);
      const a = await first.seq.next(app, 'g:r');
      committed.set('g:r', a);
      await first.cleanup();
      const second = await make(seed);
      try {
        assert.ok((await second.seq.next(app, 'g:r')) > a);
      } finally {
        await second.cleanup();
      }
    });
  });
}
