import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { SeqAllocator, SeqReserve } from './seq-allocator.js';
import { defineScript, type RedisScript } from '../redis/redis-script.js';

/**
 * Sequence allocation shared by every dispatcher, with Redis as a cache of
 * the store's durable seq mark (DESIGN §2, seams issue).
 *
 * Key layout (P = the configured prefix):
 *
 *   P seq:{app}:{conv}   HASH {cur: last seq handed out, last: end of the reserved block}, PX idleTtlMs
 *   P seq:epoch          STRING random id of this Redis dataset's life (no TTL)
 *
 * Every seq comes from HINCRBY on the conversation's hash inside the block
 * [first, last] reserved by `SeqReserve` — a committed store row raised
 * BEFORE any seq of the block is handed out. So when Redis loses the hash
 * (FLUSHALL, a failover to an empty replica, the idle TTL), the next
 * reservation starts above the durable mark, which is at or above every seq
 * ever handed out: nothing is reused and order keeps increasing. Gaps (the
 * unused rest of a lost block, at most `blockSize`) are normal (DESIGN §4).
 *
 * Installing a block is compare-and-set: a block reserved by one allocator
 * replaces the hash only if it lies above the hash's block and the dataset
 * epoch is still the one seen before reserving. The epoch changes with every
 * loss of the dataset, so a block reserved before a FLUSHALL can never be
 * installed after it below seqs another allocator handed out meanwhile.
 *
 * Limits: one Redis primary, not Redis Cluster (the epoch key is shared by
 * all conversations). A single key deleted by hand while a reservation is in
 * flight is not detected (only dataset losses change the epoch).
 */
export interface RedisSeqAllocatorOptions {
  prefix: string;
  /** seqs reserved per store round trip (default 128): larger means fewer store writes, bigger gaps after a loss */
  blockSize?: number;
  /** a conversation's block is dropped from Redis after this long without allocations (default 24 h) */
  idleTtlMs?: number;
  /** `close` also closes the client (the composition root hands over a connection of its own) */
  closeClient?: boolean;
}

/**
 * KEYS[1] conversation hash, KEYS[2] epoch key.
 * ARGV: idleTtlMs, candidate epoch (set if none), observed epoch ('' = no block), first, last, mode ('next' | 'current').
 * → {1, seq} on success; {0, epoch} when a block must be reserved first.
 */
const ALLOC_LUA = `
local epoch = redis.call('GET', KEYS[2])
if not epoch then
  redis.call('SET', KEYS[2], ARGV[2])
  epoch = ARGV[2]
end
local last = tonumber(redis.call('HGET', KEYS[1], 'last') or '-1')
local cur = tonumber(redis.call('HGET', KEYS[1], 'cur') or '-1')
if ARGV[3] ~= '' and ARGV[3] == epoch then
  local first = tonumber(ARGV[4])
  if last < first then
    last = tonumber(ARGV[5])
    cur = first - 1
    redis.call('HSET', KEYS[1], 'cur', cur, 'last', last)
  end
end
if ARGV[6] == 'current' and last >= 0 then
  return {1, cur}
end
if cur < last then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  return {1, redis.call('HINCRBY', KEYS[1], 'cur', 1)}
end
return {0, epoch}
`;

interface Block {
  epoch: string;
  first: number;
  last: number;
}

/** a reservation normally succeeds at the first or second attempt; this bounds a pathological race */
const MAX_ATTEMPTS = 50;

export class RedisSeqAllocator implements SeqAllocator {
  private readonly prefix: string;
  private readonly blockSize: number;
  private readonly idleTtlMs: number;
  private readonly alloc: RedisScript;
  /** reservations in flight, by conversation and epoch: concurrent misses in this process share one */
  private readonly reserving = new Map<string, Promise<Block>>();

  /** `redis` stays the caller's unless `closeClient`. */
  constructor(private readonly redis: Redis, private readonly reserve: SeqReserve, private readonly options: RedisSeqAllocatorOptions) {
    this.prefix = options.prefix;
    this.blockSize = options.blockSize ?? 128;
    this.idleTtlMs = options.idleTtlMs ?? 86_400_000;
    if (!(this.blockSize >= 1)) throw new Error('blockSize must be at least 1');
    this.alloc = defineScript(redis, 'parleySeqAlloc', 2, ALLOC_LUA);
  }

  next(appId: string, convId: string): Promise<number> {
    return this.run(appId, convId, 'next');
  }

  /** Highest seq handed out; with no state, reserves (and keeps) a block and answers just below it. */
  current(appId: string, convId: string): Promise<number> {
    return this.run(appId, convId, 'current');
  }

  private async run(appId: string, convId: string, mode: 'next' | 'current'): Promise<number> {
    const key = `${this.prefix}seq:${appId}:${convId}`;
    const epochKey = `${this.prefix}seq:epoch`;
    let block: Block | undefined;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const [ok, value] = (await this.alloc.run(
        key, epochKey, this.idleTtlMs, randomBytes(8).toString('hex'),
        block?.epoch ?? '', block?.first ?? 0, block?.last ?? 0, mode,
      )) as [number, number | string];
      if (ok === 1) return value as number;
      block = await this.reserveShared(appId, convId, value as string);
    }
    throw new Error(`seq allocation for ${appId}/${convId} did not settle after ${MAX_ATTEMPTS} reservations`);
  }

  private reserveShared(appId: string, convId: string, epoch: string): Promise<Block> {
    const k = `${appId}\u0000${convId}\u0000${epoch}`;
    let p = this.reserving.get(k);
    if (!p) {
      p = this.reserve(appId, convId, this.blockSize)
        .then(({ first, last }) => ({ epoch, first, last }))
        .finally(() => this.reserving.delete(k));
      this.reserving.set(k, p);
    }
    return p;
  }

  /**
   * Nothing to give back: the block lives in Redis and other allocators go on
   * using it (unlike MemorySeqAllocator, no release of the unused tail).
   */
  async close(): Promise<void> {
    if (this.options.closeClient) await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
