import type { ConvListResult, HistoryResult, Message } from '@parley/protocol';
import type { GapFiller } from './gap-filler.js';
import type { GapTracker } from './gap-tracker.js';

/**
 * Where the timeline of a conversation this client has not seen yet starts.
 *
 * Without it the first seq seen (a push, or the ack of an own send) started
 * the frontier, so with two dispatchers — whose commits of one group land
 * out of seq order — a client that first saw seq 42 dropped 2..41 arriving
 * a moment later as "older than the start". So after every open the
 * conversation list is read, and each listed conversation not seen yet
 * starts at its `last_seq`; pushes and acks of unseen conversations that
 * arrive meanwhile are parked (bounded) and replayed once it is known, the
 * start lowered below them if they are at or under `last_seq`. A listed
 * conversation whose last message is younger than the commit deadline at
 * connect time may have commits still under way below it: its start is
 * read from the last page (the highest seq older than that), and the rest
 * is caught up in order. Conversations first heard of after the list keep
 * the old rule (the first seq seen starts them). Listed conversations
 * already seen are caught up to `last_seq` (the reconnect catch-up).
 */
export interface SeedDeps {
  tracker: GapTracker;
  filler: GapFiller;
  list(): Promise<ConvListResult>;
  fetchAfter(convId: string, after: number, limit: number): Promise<HistoryResult>;
  /** the server's time at this connection's auth answer */
  connectedAt(): number | undefined;
  deadlineMs(): number;
  report(err: unknown): void;
}

const PAGE = 50;

export class ConversationSeed {
  /** runs under way (a quick reconnect can start one before the last answered); parked items wait for all */
  private running = 0;
  private readonly parked = new Map<string, Array<{ seq: number; msg?: Message }>>();
  private parkedCount = 0;

  constructor(private readonly d: SeedDeps, private readonly maxParked = 1000) {}

  push(msg: Message): void {
    if (!this.park(msg.conv_id, msg.seq, msg)) this.d.filler.push(msg);
  }

  /** a seq delivered outside the stream (own ack) */
  noteSeen(convId: string, seq: number): void {
    if (!this.park(convId, seq)) this.d.filler.noteSeen(convId, seq);
  }

  private park(convId: string, seq: number, msg?: Message): boolean {
    if (this.running === 0 || this.d.tracker.lastSeq(convId) !== undefined || this.parkedCount >= this.maxParked) return false;
    let list = this.parked.get(convId);
    if (!list) this.parked.set(convId, (list = []));
    list.push(msg ? { seq, msg } : { seq });
    this.parkedCount++;
    return true;
  }

  /** After each open. */
  async run(): Promise<void> {
    this.running++;
    const targets: Array<[string, number]> = [];
    try {
      const list = await this.d.list();
      const recent = (this.d.connectedAt() ?? Date.now()) - this.d.deadlineMs();
      await Promise.all(list.conversations.map(async (c) => {
        const known = this.d.tracker.lastSeq(c.conv_id);
        if (known !== undefined) {
          if (c.last_seq > known) targets.push([c.conv_id, c.last_seq]);
          return;
        }
        let start = c.last_seq;
        if (start > 0 && c.last_message && c.last_message.created_at >= recent) start = await this.startBefore(c.conv_id, c.last_seq, recent);
        for (const p of this.parked.get(c.conv_id) ?? []) start = Math.min(start, p.seq - 1);
        this.d.tracker.jumpTo(c.conv_id, Math.max(0, start));
        targets.push([c.conv_id, c.last_seq]);
      }));
    } catch (err) {
      this.d.report(err);
    } finally {
      this.running--;
    }
    if (this.running === 0) {
      const parked = [...this.parked.entries()];
      this.parked.clear();
      this.parkedCount = 0;
      for (const [conv, list] of parked) {
        for (const p of list.sort((a, b) => a.seq - b.seq)) {
          if (p.msg) this.d.filler.push(p.msg);
          else this.d.filler.noteSeen(conv, p.seq);
        }
      }
    }
    for (const [conv, last] of targets) void this.d.filler.catchUp(conv, last);
  }

  /** The highest seq of the last page committed before `recent` (or the page's start): nothing above it predates the connection. */
  private async startBefore(convId: string, lastSeq: number, recent: number): Promise<number> {
    const from = Math.max(0, lastSeq - PAGE);
    const page = await this.d.fetchAfter(convId, from, PAGE);
    let start = from;
    for (const m of page.messages) if (m.created_at < recent && m.seq > start) start = m.seq;
    return start;
  }
}
