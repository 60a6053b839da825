/**
 * What the client knows of each conversation's timeline: the contiguous
 * frontier `known` (everything at or below it was delivered, confirmed as a
 * hole, or declared had by the app), seqs seen above it (own sends acked
 * while earlier pushes are still on their way), and a bounded set of
 * recently delivered (conv, seq) pairs that makes delivery exactly-once for
 * the app even though the server delivers at least once.
 *
 * Pure bookkeeping, no I/O: GapFiller holds messages past the frontier and
 * decides when to fetch and when a hole is final.
 */
export interface GapTrackerOptions {
  /** (conv, seq) pairs remembered for dedup; oldest forgotten first */
  dedupCapacity: number;
  /** seqs parked above a hole per conversation before the hole is given up on */
  maxAhead: number;
}

interface ConvState {
  known: number;
  ahead: Set<number>;
}

export class GapTracker {
  private readonly convs = new Map<string, ConvState>();
  private readonly recent = new Set<string>();

  constructor(private readonly opts: GapTrackerOptions = { dedupCapacity: 10_000, maxAhead: 1_000 }) {}

  /** Highest contiguous seq known, undefined for a conversation never seen. */
  lastSeq(convId: string): number | undefined {
    return this.convs.get(convId)?.known;
  }

  tracked(): string[] {
    return [...this.convs.keys()];
  }

  seen(convId: string, seq: number): boolean {
    return this.recent.has(key(convId, seq));
  }

  /**
   * Note a message as delivered (pushed, fetched, or acked as our own).
   * Returns false when it was already delivered, or lies at or below the
   * frontier (a hole declared final, or a duplicate older than the dedup
   * memory): emitting it now would break seq order. The first seq seen of a
   * conversation starts its frontier: nothing older is owed to the app.
   */
  record(convId: string, seq: number): boolean {
    const k = key(convId, seq);
    if (this.recent.has(k)) return false;
    this.remember(k);
    const c = this.convs.get(convId);
    if (c && seq <= c.known) return false;
    if (!c) {
      this.convs.set(convId, { known: seq, ahead: new Set() });
    } else if (seq === c.known + 1) {
      this.advance(c, seq);
    } else if (seq > c.known + 1) {
      c.ahead.add(seq);
      // Too much parked above one hole: the hole is not going to be filled by pushes.
      if (c.ahead.size > this.opts.maxAhead) this.advance(c, Math.min(...c.ahead));
    }
    return true;
  }

  /** Move the frontier to `seq` (app seeding, or a range the server confirmed it has nothing more in). */
  jumpTo(convId: string, seq: number): void {
    const c = this.convs.get(convId);
    if (!c) this.convs.set(convId, { known: seq, ahead: new Set() });
    else if (seq > c.known) this.advance(c, seq);
  }

  private advance(c: ConvState, seq: number): void {
    c.known = seq;
    for (const s of c.ahead) if (s <= c.known) c.ahead.delete(s);
    while (c.ahead.delete(c.known + 1)) c.known++;
  }

  private remember(k: string): void {
    this.recent.add(k);
    if (this.recent.size > this.opts.dedupCapacity) {
      // Sets iterate in insertion order: the first key is the oldest.
      const oldest = this.recent.values().next().value;
      if (oldest !== undefined) this.recent.delete(oldest);
    }
  }
}

function key(convId: string, seq: number): string {
  return `${convId}\u0000${seq}`;
}
