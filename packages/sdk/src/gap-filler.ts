import type { HistoryResult, Message } from '@parley/protocol';
import { HoldRule } from './hold-rule.js';
import type { GapTracker } from './gap-tracker.js';

/**
 * Turns best-effort pushes into a complete, ordered, duplicate-free stream
 * per conversation (DESIGN §4). A message is emitted only when it is the next
 * seq after the frontier; one past it is held. Two dispatchers may commit one
 * conversation's seqs out of order (seq 6 pushed before 5), so a hole is not
 * a loss until the server's commit deadline says so:
 *
 * - a push past the frontier is held; the missing seqs get `holdMs` to arrive
 *   by push, then the range is pulled with `history after`;
 * - a hole the server's answer still shows below a message is final once
 *   `server_time − created_at` of the first message above it exceeds the
 *   commit deadline (old holes — crash and resend gaps — are declared at once);
 *   a younger one is waited for and pulled again (HoldRule spaces the pulls);
 * - after a reconnect each known conversation is pulled up to the server's
 *   `last_seq` at once (no hold); a range the server has nothing for and no
 *   message above it (a read replica behind) is asked `retries` more times.
 *
 * One worker per conversation does the pulls; pushes never wait behind it:
 * the next seq is emitted as it arrives, later ones join the held set. Since
 * nothing is emitted except at frontier + 1 (or just above a declared hole),
 * 'message' comes out in seq order, once. Different conversations proceed
 * independently.
 */
export interface GapFillOptions {
  /** page size of history pulls (the server caps it at 200) */
  limit: number;
  /** pulls again of a range that came back empty with nothing above it, before it is accepted */
  retries: number;
  retryDelayMs: number;
  /** how long a push past the frontier waits for the missing seqs to arrive by push before a pull */
  holdMs: number;
  /** the commit deadline when the server does not say (its auth answer's `commit_deadline_ms`) */
  commitDeadlineMs: number;
  /** pulls of one young hole before it is declared, once they span the commit deadline */
  maxRefetches: number;
  /** messages held above one conversation's hole before the hole is given up on */
  maxHeld: number;
}

export const DEFAULT_GAP_FILL: GapFillOptions = {
  limit: 200, retries: 2, retryDelayMs: 200, holdMs: 300, commitDeadlineMs: 5000, maxRefetches: 8, maxHeld: 1000,
};

export interface GapFillerDeps {
  tracker: GapTracker;
  options: GapFillOptions;
  fetchAfter(convId: string, after: number, limit: number): Promise<HistoryResult>;
  deliver(msg: Message): void;
  /** the server's commit deadline (ms), when it told one */
  deadlineMs(): number | undefined;
  /** whether a failed fetch can be left to the next reconnect's catch-up */
  isOpen(): boolean;
  report(err: Error): void;
}

interface ConvFill {
  /** messages above the frontier, not emitted yet, by seq */
  held: Map<number, Message>;
  /** a seq the server said exists (reconnect catch-up); pulled up to it */
  target: number;
  worker: Promise<void> | undefined;
  /** ends the worker's current wait early (the frontier moved, or the client closed) */
  wake: (() => void) | undefined;
}

/** What one history answer settled. */
type Verdict =
  | { kind: 'done' }
  | { kind: 'more' }
  | { kind: 'young'; finalInMs: number | undefined }
  | { kind: 'empty' };

export class GapFiller {
  private readonly convs = new Map<string, ConvFill>();

  constructor(private readonly d: GapFillerDeps) {}

  /** A pushed message: emitted now if it is next, else held until what is missing before it arrives or is declared a hole. */
  push(msg: Message): void {
    const t = this.d.tracker;
    const conv = msg.conv_id;
    if (t.seen(conv, msg.seq)) return;
    const known = t.lastSeq(conv);
    if (known !== undefined && msg.seq <= known) return; // below the frontier: a declared hole or a forgotten duplicate
    if (known === undefined || msg.seq === known + 1) {
      this.emit(msg);
      return this.advanced(conv);
    }
    const st = this.state(conv);
    st.held.set(msg.seq, msg);
    if (st.held.size > this.d.options.maxHeld) {
      this.declare(conv, st); // the hole is not going to be filled by pushes
      this.drain(conv, st);
    }
    this.start(conv, st, true);
  }

  /** A seq delivered outside the stream (own ack, a page the app loaded): release what it makes contiguous. */
  noteSeen(convId: string, seq: number): void {
    this.d.tracker.record(convId, seq);
    this.advanced(convId);
  }

  /** Make sure everything up to `lastSeq` was delivered (after a reconnect). */
  catchUp(convId: string, lastSeq: number): Promise<void> {
    const known = this.d.tracker.lastSeq(convId);
    if (known === undefined || lastSeq <= known) return Promise.resolve();
    const st = this.state(convId);
    st.target = Math.max(st.target, lastSeq);
    return this.start(convId, st, false);
  }

  /** After a reconnect: resume the conversations left holding messages when the link went. */
  resume(): void {
    for (const [conv, st] of this.convs) if (st.held.size > 0) this.start(conv, st, false);
  }

  /** End every wait now (the client closed): workers find the client not open and stop, keeping what they hold. */
  halt(): void {
    for (const st of this.convs.values()) st.wake?.();
  }

  /** Resolves when no conversation has a pull running or waiting (tests, orderly shutdown). */
  async idle(): Promise<void> {
    for (;;) {
      const running = [...this.convs.values()].map((s) => s.worker).filter((w) => w !== undefined);
      if (running.length === 0) return;
      await Promise.all(running);
    }
  }

  /* ---- the per-conversation worker ---- */

  private start(conv: string, st: ConvFill, holdFirst: boolean): Promise<void> {
    if (!st.worker) {
      const w = this.work(conv, st, holdFirst)
        .catch((err: unknown) => this.d.report(err as Error))
        .finally(() => {
          st.worker = undefined;
          if (st.held.size === 0 && st.target <= (this.d.tracker.lastSeq(conv) ?? 0)) this.convs.delete(conv);
        });
      st.worker = w;
    }
    return st.worker;
  }

  private async work(conv: string, st: ConvFill, holdFirst: boolean): Promise<void> {
    const { tracker, options } = this.d;
    const deadline = () => this.d.deadlineMs() ?? options.commitDeadlineMs;
    let rule = new HoldRule(options.holdMs, options.maxRefetches);
    let hole = tracker.lastSeq(conv);
    let wait = holdFirst ? options.holdMs : 0;
    let emptyTries = 0;
    while (this.pending(conv, st)) {
      if (wait > 0) {
        await this.sleep(st, wait);
        if (!this.pending(conv, st)) return;
        if (tracker.lastSeq(conv) !== hole) {
          // Pushes filled that hole; the next one gets its own brief hold and its own count.
          hole = tracker.lastSeq(conv);
          rule = new HoldRule(options.holdMs, options.maxRefetches);
          wait = options.holdMs;
          continue;
        }
        rule.waited(wait);
      }
      if (!this.d.isOpen()) return; // kept; the reconnect's catch-up resumes it
      const from = tracker.lastSeq(conv) ?? 0;
      let page: HistoryResult;
      try {
        page = await this.d.fetchAfter(conv, from, options.limit);
      } catch (err) {
        // Disconnected: keep what is held; the reconnect resumes. Connected but failing: do not
        // hold the conversation hostage; release what is held, in order, and say what was skipped.
        if (!this.d.isOpen()) return;
        this.d.report(err as Error);
        while (st.held.size > 0) {
          this.declare(conv, st);
          this.drain(conv, st);
        }
        return;
      }
      const verdict = this.absorb(conv, st, page, deadline());
      if (tracker.lastSeq(conv) !== hole) {
        hole = tracker.lastSeq(conv);
        rule = new HoldRule(options.holdMs, options.maxRefetches);
      }
      wait = 0;
      if (verdict.kind === 'young') {
        rule.refetched();
        if (rule.exhausted(deadline(), verdict.finalInMs === undefined)) this.declare(conv, st);
        else wait = rule.nextWait(verdict.finalInMs, deadline());
      } else if (verdict.kind === 'empty') {
        if (emptyTries++ >= options.retries) tracker.jumpTo(conv, st.target);
        else wait = options.retryDelayMs;
      }
      this.drain(conv, st);
    }
  }

  /**
   * Merge a page into the held set and move the frontier as far as it allows:
   * contiguous seqs are emitted, holes the page proves old are declared.
   */
  private absorb(conv: string, st: ConvFill, page: HistoryResult, deadlineMs: number): Verdict {
    const t = this.d.tracker;
    for (const m of page.messages) {
      if (m.seq > (t.lastSeq(conv) ?? 0) && !t.seen(conv, m.seq)) st.held.set(m.seq, m);
    }
    const serverTime = typeof page.server_time === 'number' ? page.server_time : undefined;
    for (;;) {
      this.drain(conv, st);
      if (!this.pending(conv, st)) return { kind: 'done' };
      // The first message above the hole: held, or in the page though already seen (an own send).
      const known = t.lastSeq(conv) ?? 0;
      let first = this.firstHeld(st);
      for (const m of page.messages) if (m.seq > known && (!first || m.seq < first.seq)) first = m;
      const inPage = page.messages.some((m) => m.seq > known);
      // Nothing of this page is above the frontier now, and the server has more: pull on from here.
      if (page.has_more && !inPage) return { kind: 'more' };
      if (!first) return { kind: 'empty' };
      if (serverTime === undefined) return { kind: 'young', finalInMs: undefined };
      const age = serverTime - first.created_at;
      if (age <= deadlineMs) return { kind: 'young', finalInMs: deadlineMs - age + 1 };
      t.jumpTo(conv, first.seq - 1); // the seqs below it were never committed and never will be
    }
  }

  /* ---- bookkeeping ---- */

  /** The frontier moved outside the stream (the app seeded it): emit what became contiguous, end a hold waiting for it. */
  advanced(conv: string): void {
    const st = this.convs.get(conv);
    if (!st) return;
    this.drain(conv, st);
    st.wake?.();
  }

  private drain(conv: string, st: ConvFill): void {
    const t = this.d.tracker;
    for (;;) {
      const known = t.lastSeq(conv) ?? 0;
      for (const s of st.held.keys()) if (s <= known) st.held.delete(s);
      const next = st.held.get(known + 1);
      if (!next) return;
      st.held.delete(next.seq);
      this.emit(next);
    }
  }

  /** Give up on the hole below the first held message. */
  private declare(conv: string, st: ConvFill): void {
    const first = this.firstHeld(st);
    if (first) this.d.tracker.jumpTo(conv, first.seq - 1);
  }

  private firstHeld(st: ConvFill): Message | undefined {
    let first: Message | undefined;
    for (const m of st.held.values()) if (!first || m.seq < first.seq) first = m;
    return first;
  }

  private pending(conv: string, st: ConvFill): boolean {
    return st.held.size > 0 || st.target > (this.d.tracker.lastSeq(conv) ?? 0);
  }

  private state(conv: string): ConvFill {
    let st = this.convs.get(conv);
    if (!st) this.convs.set(conv, (st = { held: new Map(), target: 0, worker: undefined, wake: undefined }));
    return st;
  }

  private sleep(st: ConvFill, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        st.wake = undefined;
        resolve();
      }
      st.wake = done;
    });
  }

  private emit(msg: Message): void {
    if (this.d.tracker.record(msg.conv_id, msg.seq)) this.d.deliver(msg);
  }
}
