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
  close(): Promise<void>;
}

/** Where an allocator reads the committed high-water mark when it has none. */
export type SeqSeed = (appId: string, convId: string) => Promise<number>;
