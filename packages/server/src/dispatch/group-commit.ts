import { ParleyError } from '@parley/protocol';
import type { Logger } from 'pino';
import type { Store, StoredMessage } from '../store/store.js';
import type { Metrics } from '../metrics.js';
import type { CommittedMessage, Delivery } from './after-commit.js';

export interface GroupCommitOptions {
  /** how long to gather messages before committing (ms); 0 = next turn of the event loop */
  windowMs: number;
  /** commit at once when this many messages are waiting */
  maxBatch: number;
  /**
   * The commit deadline (ms): a message is committed within this long of its
   * `created_at` (read before its seq was allocated) or never. A batch starting
   * later than the deadline minus a margin (a fifth of it: room for the
   * commit itself and for clock skew between processes) refuses the messages
   * that are too old with `unavailable`; their senders resend with the same
   * cmid and get a new seq. Clients rely on it to tell a hole that may still
   * fill from a final one. Omitted: no deadline (single-dispatcher tests).
   */
  deadlineMs?: number;
  /** time source of the deadline check; the same one that stamps created_at */
  clock?: () => number;
}

/**
 * How an enqueued message ended: stored as given; not stored because its
 * (app, sender, cmid) was already taken — then `original` is the stored row
 * it duplicates (its seq, msg_id and created_at are what the sender was acked);
 * or not stored because its seq was taken (another allocator handed it out):
 * the caller gives it a new seq and enqueues it again; or not stored because
 * its sender was not a member of the group at commit (CommitResult.not_members).
 */
export type CommitOutcome =
  | { status: 'stored' }
  | { status: 'not_member' }
  | { status: 'duplicate'; original: StoredMessage }
  | { status: 'conflict' };

/** After-commit work of a batch (push and publish); see AfterCommit. */
export type AfterCommitStep = (stored: readonly CommittedMessage[]) => Promise<void>;

interface Pending {
  msg: StoredMessage;
  delivery: Delivery | undefined;
  resolve: (outcome: CommitOutcome) => void;
  reject: (err: unknown) => void;
}

const STORED: CommitOutcome = { status: 'stored' };
const CONFLICT: CommitOutcome = { status: 'conflict' };
const NOT_MEMBER: CommitOutcome = { status: 'not_member' };

/**
 * Group commit: messages arriving within a short window share one store
 * transaction, so the cost of a durable commit (an fsync) is paid once per
 * batch instead of once per message. Each enqueue resolves only after its
 * batch is committed — that is when the sender may be acked — with whether
 * the message was stored or was a duplicate of an already stored one.
 *
 * Batches are handed to the store one at a time, or up to the store's
 * `commitPipelineDepth` at once (the next batch gathers while one is being
 * written), and settle in the order they were started; within a batch,
 * messages are ordered by seq. The after-commit step (pushes and events of the stored
 * messages that came with a Delivery) runs once per batch, batches one after
 * the other in commit order, so pushes and events of one conversation leave
 * in seq order whatever the latency of the location and bus backends; the
 * next batch may commit meanwhile. A stored message's enqueue resolves once
 * its batch's after-commit step has run (pushes handed to the links), a
 * duplicate's or a conflict's as soon as the commit answered.
 * A failed batch rejects every message in it with `unavailable`: nothing of
 * it was stored, so nothing is acked. So does a message past its commit
 * deadline when its batch starts (`deadlineMs`): with several dispatchers,
 * commits of one conversation may land out of seq order, and the deadline is
 * what lets a client decide that a hole below a message will never fill.
 */
export class GroupCommitter {
  private pending: Pending[] = [];
  private timer: NodeJS.Timeout | NodeJS.Immediate | null = null;
  /** batches handed to the store whose commit has not answered yet */
  private inFlight = 0;
  /** how many may be (Store.commitPipelineDepth) */
  private readonly depth: number;
  /** the settling of the last started batch: the next one settles behind it, so batches settle in start order */
  private settling: Promise<void> = Promise.resolve();
  /** the after-commit step of the last settled batch: the next one runs behind it */
  private delivering: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: Store,
    private readonly opts: GroupCommitOptions,
    private readonly metrics?: Metrics,
    private readonly log?: Logger,
    private readonly afterCommit?: AfterCommitStep,
  ) {
    this.depth = Math.max(1, Math.floor(store.commitPipelineDepth ?? 1));
  }

  /** `delivery`: push the message to these recipients (and publish its event) once committed. */
  enqueue(msg: StoredMessage, delivery?: Delivery): Promise<CommitOutcome> {
    return new Promise<CommitOutcome>((resolve, reject) => {
      this.pending.push({ msg, delivery, resolve, reject });
      if (this.pending.length >= this.opts.maxBatch) this.kick();
      else this.schedule();
    });
  }

  /** Commit everything waiting now (graceful shutdown). */
  async flush(): Promise<void> {
    while (this.pending.length || this.inFlight) {
      if (this.pending.length && this.inFlight < this.depth) this.runBatch();
      else await this.settling;
    }
    await this.settling;
    await this.delivering;
  }

  private schedule(): void {
    if (this.timer || this.inFlight >= this.depth) return;
    this.timer = this.opts.windowMs > 0 ? setTimeout(() => this.kick(), this.opts.windowMs) : setImmediate(() => this.kick());
  }

  private kick(): void {
    if (this.timer) {
      clearTimeout(this.timer as NodeJS.Timeout);
      clearImmediate(this.timer as NodeJS.Immediate);
      this.timer = null;
    }
    if (this.inFlight >= this.depth) return; // a batch that ends picks the rest up
    this.runBatch();
  }

  private runBatch(): void {
    let batch: Pending[] = [];
    while (batch.length === 0 && this.pending.length) batch = this.refuseExpired(this.pending.splice(0, this.opts.maxBatch));
    if (batch.length === 0) return;
    batch.sort((a, b) => a.msg.seq - b.msg.seq);
    const started = performance.now();
    this.inFlight++;
    const answered = this.store.commitMessages(batch.map((p) => p.msg)).then(
      (result) => {
        this.metrics?.commitSeconds.observe((performance.now() - started) / 1000);
        this.metrics?.commitBatchSize.observe(batch.length);
        this.metrics?.messagesStored.inc(batch.length - result.duplicates.length - result.conflicts.length - result.not_members.length);
        return { result };
      },
      (err: unknown) => ({ err }),
    );
    void answered.then(() => {
      this.inFlight--;
      // Messages that arrived during the commit have already waited a window.
      if (this.pending.length) this.kick();
    });
    this.settling = this.settling.then(() => answered).then((a) => {
      if ('result' in a) {
        const { result } = a;
        this.settle(batch, result.duplicates, result.conflicts, result.not_members);
        return;
      }
      this.log?.error({ err: a.err, batch: batch.length }, 'group commit failed; nothing of the batch is acked');
      const e = new ParleyError('unavailable', 'the message could not be stored; retry with the same cmid');
      for (const p of batch) p.reject(e);
    }).catch((err: unknown) => this.log?.error({ err, batch: batch.length }, 'settling a group commit failed'));
  }

  /** Reject the messages past their commit deadline (see GroupCommitOptions.deadlineMs); the rest go on. */
  private refuseExpired(batch: Pending[]): Pending[] {
    const { deadlineMs, clock } = this.opts;
    if (deadlineMs === undefined || batch.length === 0) return batch;
    const oldest = (clock ?? Date.now)() - (deadlineMs - deadlineMs / 5);
    const live = batch.filter((p) => p.msg.created_at >= oldest);
    if (live.length === batch.length) return batch;
    const e = new ParleyError('unavailable', 'the message missed its commit deadline; retry with the same cmid');
    for (const p of batch) if (p.msg.created_at < oldest) p.reject(e);
    this.log?.warn({ refused: batch.length - live.length, deadlineMs }, 'messages missed their commit deadline; refused, senders resend');
    return live;
  }

  /**
   * Resolve duplicates and conflicts now; stored messages after their batch's
   * after-commit step, which is chained behind the previous batch's.
   */
  private settle(batch: readonly Pending[], duplicates: readonly StoredMessage[], conflicts: readonly StoredMessage[], notMembers: readonly StoredMessage[]): void {
    const conflicted = new Set(conflicts.map((m) => m.msg_id));
    const refused = new Set(notMembers.map((m) => m.msg_id));
    const rest: Pending[] = [];
    for (const p of batch) {
      if (conflicted.has(p.msg.msg_id)) p.resolve(CONFLICT);
      else if (refused.has(p.msg.msg_id)) p.resolve(NOT_MEMBER);
      else rest.push(p);
    }
    const stored: Pending[] = [];
    for (const [p, outcome] of outcomes(rest, duplicates)) {
      if (outcome.status === 'stored') stored.push(p);
      else p.resolve(outcome);
    }
    const step = this.afterCommit;
    const items = stored.filter((p) => p.delivery).map((p) => ({ msg: p.msg, delivery: p.delivery! }));
    this.delivering = this.delivering
      .then(() => (step && items.length ? step(items) : undefined))
      .catch((err: unknown) => this.log?.error({ err, batch: items.length }, 'after-commit step failed; the batch is committed'))
      .then(() => {
        for (const p of stored) p.resolve(STORED);
      });
  }
}

function cmidKey(m: StoredMessage): string {
  return `${m.app_id}\u0000${m.sender}\u0000${m.cmid}`;
}

/**
 * Tell each message of a committed batch (conflicts removed) stored or a
 * duplicate of its original. `duplicates` holds one original row per skipped
 * message, in batch order; of a cmid repeated within the batch only the first
 * occurrence can have been stored, which shows as one more occurrence than skips.
 */
function outcomes(batch: readonly Pending[], duplicates: readonly StoredMessage[]): [Pending, CommitOutcome][] {
  if (duplicates.length === 0) return batch.map((p) => [p, STORED]);
  const out: [Pending, CommitOutcome][] = [];
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
      out.push([p, STORED]);
      continue;
    }
    const n = left.get(k)!;
    left.set(k, n - 1);
    out.push([p, n > e.count ? STORED : { status: 'duplicate', original: e.original }]);
  }
  return out;
}
