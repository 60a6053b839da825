import type { HistoryResult, Message } from '@parley/protocol';
import type { GapTracker } from './gap-tracker.js';

/**
 * Turns best-effort pushes into a complete, ordered, duplicate-free stream
 * per conversation (DESIGN §4): a push past the frontier first pulls the
 * missing range with `history after`, and after a reconnect each known
 * conversation is pulled up to the server's `last_seq`.
 *
 * Work on one conversation runs strictly one task after another (pushes wait
 * behind a fill in progress), so 'message' comes out in seq order per
 * conversation. Different conversations proceed independently.
 *
 * A range the server has nothing for — a seq hole left by a crash, or a read
 * replica that has not caught up — is asked again `retries` times, then
 * accepted as a hole: the frontier moves past it and it is not retried again.
 */
export interface GapFillOptions {
  /** page size of history pulls (the server caps it at 200) */
  limit: number;
  retries: number;
  retryDelayMs: number;
}

export const DEFAULT_GAP_FILL: GapFillOptions = { limit: 200, retries: 2, retryDelayMs: 200 };

export interface GapFillerDeps {
  tracker: GapTracker;
  options: GapFillOptions;
  fetchAfter(convId: string, after: number, limit: number): Promise<HistoryResult>;
  deliver(msg: Message): void;
  /** whether a failed fetch can be left to the next reconnect's catch-up */
  isOpen(): boolean;
  report(err: Error): void;
}

export class GapFiller {
  private readonly chains = new Map<string, Promise<void>>();

  constructor(private readonly d: GapFillerDeps) {}

  /** A pushed message: deliver it, after whatever is missing before it. */
  push(msg: Message): void {
    void this.enqueue(msg.conv_id, () => this.onPush(msg));
  }

  /** Make sure everything up to `lastSeq` was delivered (after a reconnect). */
  catchUp(convId: string, lastSeq: number): Promise<void> {
    return this.enqueue(convId, async () => {
      const known = this.d.tracker.lastSeq(convId);
      if (known === undefined || lastSeq <= known) return;
      try {
        await this.fill(convId, lastSeq);
      } catch (err) {
        // Lost the connection meanwhile: the next reconnect catches up again.
        if (this.d.isOpen()) this.d.report(err as Error);
      }
    });
  }

  /** Resolves when every conversation's queued work is done (tests, orderly shutdown). */
  async idle(): Promise<void> {
    while (this.chains.size > 0) await Promise.all([...this.chains.values()]);
  }

  private async onPush(msg: Message): Promise<void> {
    const t = this.d.tracker;
    if (t.seen(msg.conv_id, msg.seq)) return;
    if (t.isGap(msg.conv_id, msg.seq)) {
      try {
        await this.fill(msg.conv_id, msg.seq);
      } catch (err) {
        // Disconnected: drop the push; the frontier did not move, so the reconnect catch-up
        // (conversation last_seq ≥ this seq) fetches it with the rest. Connected but failing:
        // do not hold the conversation hostage; deliver it and say what was skipped.
        if (!this.d.isOpen()) return;
        this.d.report(err as Error);
      }
      t.jumpTo(msg.conv_id, msg.seq);
    }
    this.emit(msg);
  }

  /** Pull (frontier, target] page by page, oldest first. */
  private async fill(convId: string, target: number): Promise<void> {
    const { tracker, options } = this.d;
    let cursor = tracker.lastSeq(convId) ?? 0;
    let emptyTries = 0;
    while (cursor < target) {
      const page = await this.d.fetchAfter(convId, cursor, options.limit);
      const msgs = page.messages.filter((m) => m.seq > cursor).sort((a, b) => a.seq - b.seq);
      for (const m of msgs) this.emit(m);
      if (msgs.length > 0) {
        cursor = msgs[msgs.length - 1]!.seq;
        // The server returned everything it has in the range: seqs missing inside it are holes.
        tracker.jumpTo(convId, cursor);
        if (page.has_more) continue;
      }
      if (cursor >= target || emptyTries >= options.retries) break;
      emptyTries++;
      await sleep(options.retryDelayMs);
    }
    tracker.jumpTo(convId, target);
  }

  private emit(msg: Message): void {
    if (this.d.tracker.record(msg.conv_id, msg.seq)) this.d.deliver(msg);
  }

  private enqueue(convId: string, task: () => Promise<void>): Promise<void> {
    const prev = this.chains.get(convId) ?? Promise.resolve();
    const next = prev.then(task).catch((err: unknown) => this.d.report(err as Error));
    this.chains.set(convId, next);
    void next.then(() => {
      if (this.chains.get(convId) === next) this.chains.delete(convId);
    });
    return next;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
