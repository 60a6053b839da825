import type { SeqAllocator, SeqSeed } from './seq-allocator.js';

/**
 * In-memory allocator: the embedded default. Limits: one dispatcher process
 * only (two processes would hand out the same numbers). Seeds each
 * conversation from the store once, then counts in memory; concurrent first
 * calls for one conversation share a single seed read.
 */
export class MemorySeqAllocator implements SeqAllocator {
  private readonly current = new Map<string, number>();
  private readonly seeding = new Map<string, Promise<number>>();

  constructor(private readonly seed: SeqSeed) {}

  async next(appId: string, convId: string): Promise<number> {
    const k = `${appId}\u0000${convId}`;
    let cur = this.current.get(k);
    if (cur === undefined) {
      let p = this.seeding.get(k);
      if (!p) {
        p = this.seed(appId, convId);
        this.seeding.set(k, p);
      }
      try {
        const seeded = await p;
        cur = this.current.get(k) ?? seeded;
      } finally {
        this.seeding.delete(k);
      }
    }
    cur += 1;
    this.current.set(k, cur);
    return cur;
  }

  async close(): Promise<void> {
    this.current.clear();
  }
}
