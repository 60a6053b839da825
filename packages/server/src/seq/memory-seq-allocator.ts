import type { SeqAllocator, SeqSeed } from './seq-allocator.js';

/**
 * In-memory allocator: the embedded default. Limits: one dispatcher process
 * only (two processes would hand out the same numbers). Seeds each
 * conversation from the store once, then counts in memory; concurrent first
 * calls for one conversation share a single seed read.
 */
export class MemorySeqAllocator implements SeqAllocator {
  private readonly counters = new Map<string, number>();
  private readonly seeding = new Map<string, Promise<number>>();

  constructor(private readonly seed: SeqSeed) {}

  async next(appId: string, convId: string): Promise<number> {
    const k = `${appId}\u0000${convId}`;
    let cur = this.counters.get(k);
    if (cur === undefined) {
      let p = this.seeding.get(k);
      if (!p) {
        p = this.seed(appId, convId);
        this.seeding.set(k, p);
      }
      try {
        const seeded = await p;
        cur = this.counters.get(k) ?? seeded;
      } finally {
        this.seeding.delete(k);
      }
    }
    cur += 1;
    this.counters.set(k, cur);
    return cur;
  }

  async current(appId: string, convId: string): Promise<number> {
    const k = `${appId}\u0000${convId}`;
    return this.counters.get(k) ?? (await this.seed(appId, convId));
  }

  async close(): Promise<void> {
    this.counters.clear();
  }
}
