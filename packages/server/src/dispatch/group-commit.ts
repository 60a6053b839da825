import { ParleyError } from '@parley/protocol';
import type { Logger } from 'pino';
import type { Store, StoredMessage } from '../store/store.js';
import type { Metrics } from '../metrics.js';

export interface GroupCommitOptions {
  /** how long to gather messages before committing (ms); 0 = next turn of the event loop */
  windowMs: number;
  /** commit at once when this many messages are waiting */
  maxBatch: number;
}

/**
 * How an enqueued message ended: stored as given, or not stored because its
 * (app, sender, cmid) was already taken — then `original` is the stored row
 * it duplicates (its seq, msg_id and created_at are what the sender was acked).
 */
export type CommitOutcome = { duplicate: false } | { duplicate: true; original: StoredMessage };

interface Pending {
  msg: StoredMessage;
  resolve: (outcome: CommitOutcome) => void;
  reject: (err: unknown) => void;
}

const STORED: CommitOutcome = { duplicate: false };

/**
 * Group commit: messages arriving within a short window share one store
 * transaction, so the cost of a durable commit (an fsync) is paid once per
 * batch instead of once per message. Each enqueue resolves only after its
 * batch is committed — that is when the sender may be acked — with whether
 * the message was stored or was a duplicate of an already stored one.
 *
 * Batches commit one at a time, in order; within a batch, messages are
 * ordered by seq so the callers' continuations (ack, push) run in seq order.
 * A failed batch rejects every message in it with `unavailable`: nothing of
 * it was stored, so nothing is acked.
 */
export class GroupCommitter {
  private pending: Pending[] = [];
  private timer: NodeJS.Timeout | NodeJS.Immediate | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly store: Store,
    private readonly opts: GroupCommitOptions,
    private readonly metrics?: Metrics,
    private readonly log?: Logger,
  ) {}

  enqueue(msg: StoredMessage): Promise<CommitOutcome> {
    return new Promise<CommitOutcome>((resolve, reject) => {
      this.pending.push({ msg, resolve, reject });
      if (this.pending.length >= this.opts.maxBatch) this.kick();
      else this.schedule();
    });
  }

  /** Commit everything waiting now (graceful shutdown). */
  async flush(): Promise<void> {
    while (this.pending.length || this.running) {
      if (this.running) await this.running;
      else await this.runBatch();
    }
  }

  private schedule(): void {
    if (this.timer || this.running) return;
    this.timer = this.opts.windowMs > 0 ? setTimeout(() => this.kick(), this.opts.windowMs) : setImmediate(() => this.kick());
  }

  private kick(): void {
    if (this.timer) {
      clearTimeout(this.timer as NodeJS.Timeout);
      clearImmediate(this.timer as NodeJS.Immediate);
      this.timer = null;
    }
    if (this.running) return; // the running batch picks the rest up when it ends
    void this.runBatch();
  }

  private runBatch(): Promise<void> {
    const batch = this.pending.splice(0, this.opts.maxBatch);
    if (batch.length === 0) return Promise.resolve();
    batch.sort((a, b) => a.msg.seq - b.msg.seq);
    const started = performance.now();
    this.running = this.store
      .commitMessages(batch.map((p) => p.msg))
      .then(
        ({ duplicates, conflicts }) => {
          this.metrics?.commitSeconds.observe((performance.now() - started) / 1000);
          this.metrics?.commitBatchSize.observe(batch.length);
          this.metrics?.messagesStored.inc(batch.length - duplicates.length - conflicts.length);
          if (conflicts.length === 0) return settle(batch, duplicates);
          // A seq already taken (another allocator handed it out): only those messages fail; the rest is stored.
          const refused = new Set(conflicts);
          this.log?.error({ conflicts: conflicts.length, batch: batch.length }, 'seq conflicts in a group commit; those messages are not acked');
          const e = new ParleyError('unavailable', 'the message could not be stored; retry with the same cmid');
          for (const p of batch) if (refused.has(p.msg)) p.reject(e);
          settle(batch.filter((p) => !refused.has(p.msg)), duplicates);
        },
        (err: unknown) => {
          this.log?.error({ err, batch: batch.length }, 'group commit failed; nothing of the batch is acked');
          const e = new ParleyError('unavailable', 'the message could not be stored; retry with the same cmid');
          for (const p of batch) p.reject(e);
        },
      )
      .finally(() => {
        this.running = null;
        // Messages that arrived during the commit have already waited a window.
        if (this.pending.length) this.kick();
      });
    return this.running;
  }
}

function cmidKey(m: StoredMessage): string {
  return `${m.app_id}\u0000${m.sender}\u0000${m.cmid}`;
}

/**
 * Resolve each message of a committed batch as stored or as a duplicate of its
 * original. `duplicates` holds one original row per skipped message, in batch
 * order; of a cmid repeated within the batch only the first occurrence can
 * have been stored, which shows as one more occurrence than skips.
 */
function settle(batch: readonly Pending[], duplicates: readonly StoredMessage[]): void {
  if (duplicates.length === 0) {
    for (const p of batch) p.resolve(STORED);
    return;
  }
  const skipped = new Map<string, { original: StoredMessage; count: number }>();
  for (const d of duplicates) {
    const e = skipped.get(cmidKey(d));
    if (e) e.count++;
    else skipped.set(cmidKey(d), { original: d, count: 1 });
  }
  const left = new Map<string, number>(); // per skipped cmid: its batch messages not yet resolved
  for (const p of batch) {
    const k = cmidKey(p.msg);
    if (skipped.has(k)) left.set(k, (left.get(k) ?? 0) + 1);
  }
  for (const p of batch) {
    const k = cmidKey(p.msg);
    const e = skipped.get(k);
    if (!e) {
      p.resolve(STORED);
      continue;
    }
    const n = left.get(k)!;
    left.set(k, n - 1);
    if (n > e.count) p.resolve(STORED);
    else p.resolve({ duplicate: true, original: e.original });
  }
}
