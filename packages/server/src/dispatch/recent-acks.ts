import type { SendAck } from '@parley/protocol';

/**
 * Acks of recently committed messages by app/sender/cmid, so a resend after a
 * lost ack is answered from memory without a seq or a store read.
 *
 * Bounded in O(1) per operation with two generations: new entries go into
 * `young`; when it holds `capacity` entries it becomes `old` and the previous
 * `old` is dropped whole. A lookup checks both. So between `capacity` and
 * 2 × `capacity` of the latest acks are remembered, never more.
 *
 * (Evicting the oldest entry of one insertion-ordered Map with
 * `keys().next()` looked O(1) but is not in V8: the iterator walks past the
 * deleted slots the Map keeps until it rehashes, about 15 µs per message
 * once the map was full, 18% of the 1:1 send path's time.)
 */
export class RecentAcks {
  private young = new Map<string, SendAck>();
  private old = new Map<string, SendAck>();

  constructor(private readonly capacity = 50_000) {
    if (!(capacity >= 1)) throw new RangeError('RecentAcks capacity must be at least 1');
  }

  get(key: string): SendAck | undefined {
    return this.young.get(key) ?? this.old.get(key);
  }

  set(key: string, ack: SendAck): void {
    this.young.set(key, ack);
    if (this.young.size >= this.capacity) {
      this.old = this.young;
      this.young = new Map();
    }
  }

  /** entries held now (between the last `capacity` and 2 × `capacity` set) */
  get size(): number {
    return this.young.size + this.old.size;
  }
}
