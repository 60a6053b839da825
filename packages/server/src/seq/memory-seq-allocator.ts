import type { SeqAllocator, SeqRelease, SeqReserve } from './seq-allocator.js';

export interface MemorySeqAllocatorOptions {
  /** seqs reserved in the store per reservation (default 100): bigger blocks mean fewer store writes, bigger gaps after a restart */
  blockSize?: number;
  /** gives the unused rest of each block back on close (Store.releaseSeqBlocks), so a clean restart leaves no gaps */
  release?: SeqRelease;
}

interface Block {
  /** the highest seq handed out (first − 1 before any) */
  cur: number;
  /** the end of the reserved block */
  last: number;
}

/**
 * In-memory allocator over durable blocks: the embedded default. Each
 * conversation's seqs come from a block reserved in the store before any of
 * it is handed out; the block lives in memory and a new one is reserved when
 * it runs out. Concurrent calls that find no usable block share one
 * reservation. Safe with several allocators on one store (each holds its own
 * blocks, so their seqs never collide), but seqs of one conversation are then
 * not handed out in global order across them — one dispatcher per
 * conversation keeps them ordered. A crash loses the rest of each block
 * (gaps); a graceful close gives it back when `release` is given.
 */
export class MemorySeqAllocator implements SeqAllocator {
  private readonly blocks = new Map<string, Block>();
  private readonly reserving = new Map<string, Promise<Block>>();
  private readonly blockSize: number;
  private readonly release: SeqRelease | undefined;

  constructor(private readonly reserve: SeqReserve, opts: MemorySeqAllocatorOptions = {}) {
    this.blockSize = Math.max(1, Math.floor(opts.blockSize ?? 100));
    this.release = opts.release;
  }

  async next(appId: string, convId: string): Promise<number> {
    const k = `${appId}\u0000${convId}`;
    for (;;) {
      const b = this.blocks.get(k);
      if (b && b.cur < b.last) return ++b.cur;
      await this.refill(k, appId, convId);
    }
  }

  async current(appId: string, convId: string): Promise<number> {
    const k = `${appId}\u0000${convId}`;
    return (this.blocks.get(k) ?? (await this.refill(k, appId, convId))).cur;
  }

  /** Call after the last seq handed out was committed or abandoned (the committer flushed). */
  async close(): Promise<void> {
    await Promise.allSettled(this.reserving.values());
    const unused = [...this.blocks].filter(([, b]) => b.cur < b.last);
    this.blocks.clear();
    if (!this.release || unused.length === 0) return;
    await this.release(unused.map(([k, b]) => {
      const [app_id, conv_id] = k.split('\u0000') as [string, string];
      return { app_id, conv_id, last: b.last, used: b.cur };
    }));
  }

  /** Reserve the next block for `k` (one reservation at a time per conversation). */
  private refill(k: string, appId: string, convId: string): Promise<Block> {
    let p = this.reserving.get(k);
    if (!p) {
      p = this.reserve(appId, convId, this.blockSize).then(({ first, last }) => {
        const b: Block = { cur: first - 1, last };
        this.blocks.set(k, b);
        return b;
      });
      this.reserving.set(k, p);
      const clear = () => {
        if (this.reserving.get(k) === p) this.reserving.delete(k);
      };
      p.then(clear, clear);
    }
    return p;
  }
}
