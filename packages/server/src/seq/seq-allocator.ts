/**
 * Per-conversation sequence allocator.
 *
 * Guarantees: within one conversation, `next` returns strictly increasing
 * numbers, never one at or below a seq already committed to the store (the
 * allocator seeds itself from Store.maxSeq when it has no state for a
 * conversation). Numbers handed out but never committed leave gaps; clients
 * tolerate gaps (DESIGN §4).
 */
export interface SeqAllocator {
  next(appId: string, convId: string): Promise<number>;
  /**
   * The highest seq handed out so far (or, with no state, the durable mark):
   * a join seq of `current + 1` never points at or before a seq already given
   * to a message, so a new member never sees an older message appear.
   */
  current(appId: string, convId: string): Promise<number>;
  close(): Promise<void>;
}

/** Where an allocator reads the committed high-water mark when it has none. */
export type SeqSeed = (appId: string, convId: string) => Promise<number>;

/**
 * Durable high-water mark (DESIGN §2, seams issue): atomically raise the
 * conversation's committed seq mark by `size` above max(mark, last stored
 * seq) and return the block [first, last] now reserved. The reservation is
 * committed before it returns, so an allocator that loses its state (a
 * restart, a Redis FLUSHALL) and reserves again never reuses a seq.
 * Implemented by the store (`Store.reserveSeqBlock`).
 */
export type SeqReserve = (appId: string, convId: string, size: number) => Promise<{ first: number; last: number }>;
