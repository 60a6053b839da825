/**
 * Per-conversation sequence allocator.
 *
 * Guarantees: within one conversation, `next` returns strictly increasing
 * numbers, and no seq is ever handed out twice — not by two allocators on one
 * store, not after a restart or a loss of the allocator's state — because
 * every seq comes from a block reserved in the store (`SeqReserve`, committed)
 * before any seq of it is handed out. Numbers handed out but never committed,
 * and the unused rest of a block when its holder stops, are gaps; clients
 * tolerate gaps (DESIGN §4, docs/architecture.md).
 */
export interface SeqAllocator {
  next(appId: string, convId: string): Promise<number>;
  /**
   * The highest seq handed out so far (with no state: just below the first
   * seq this allocator will hand out): a join seq of `current + 1` never
   * points at or before a seq already given to a message, so a new member
   * never sees an older message appear.
   */
  current(appId: string, convId: string): Promise<number>;
  close(): Promise<void>;
}

/**
 * Durable high-water mark (DESIGN §2, seams issue): atomically raise the
 * conversation's committed seq mark by `size` above max(mark, last stored
 * seq) and return the block [first, last] now reserved. The reservation is
 * committed before it returns, so an allocator that loses its state (a
 * restart, a Redis FLUSHALL) and reserves again never reuses a seq.
 * Implemented by the store (`Store.reserveSeqBlock`).
 */
export type SeqReserve = (appId: string, convId: string, size: number) => Promise<{ first: number; last: number }>;

/**
 * Gives back the unused tail of blocks when an allocator closes gracefully
 * (`Store.releaseSeqBlocks`): only while no later block was reserved, so
 * nothing handed out can be handed out again.
 */
export type SeqRelease = (blocks: Array<{ app_id: string; conv_id: string; last: number; used: number }>) => Promise<void>;
