import type Database from 'better-sqlite3';
import { withoutFsync } from './no-fsync.js';

export interface SeqBlockRequest { appId: string; convId: string; size: number }
export interface SeqBlock { first: number; last: number }
export interface SeqBlockRelease { app_id: string; conv_id: string; last: number; used: number }

/**
 * The durable seq high-water mark per conversation (Store.reserveSeqBlock),
 * on the connection that runs the message commits. One IMMEDIATE transaction
 * reads max(mark, last stored seq) and writes the new mark, so two handles or
 * processes never get overlapping blocks, and a block never starts at or below
 * a seq committed without a reservation (messages written by a tool or an
 * older build).
 *
 * It needs no fsync of its own (withoutFsync): a message with a seq of the
 * block is committed after the reservation, and that commit's fsync makes the
 * reservation durable with it; a reservation lost at a power cut had no seq
 * committed, so handing its seqs out again shows nobody a repeat.
 */
export class SeqMarkWriter {
  private readonly getMark: Database.Statement;
  private readonly lastSeq: Database.Statement;
  private readonly setMark: Database.Statement;
  private readonly releaseMark: Database.Statement;
  private readonly releaseTx: Database.Transaction<(blocks: readonly SeqBlockRelease[]) => void>;
  private readonly reserveTx: Database.Transaction<(reqs: readonly SeqBlockRequest[]) => SeqBlock[]>;

  constructor(private readonly db: Database.Database) {
    this.getMark = db.prepare('SELECT mark FROM seq_marks WHERE app_id = ? AND conv_id = ?').pluck();
    this.lastSeq = db.prepare('SELECT coalesce(max(seq), 0) FROM messages WHERE app_id = ? AND conv_id = ?').pluck();
    this.setMark = db.prepare(`INSERT INTO seq_marks (app_id, conv_id, mark) VALUES (?, ?, ?)
      ON CONFLICT (app_id, conv_id) DO UPDATE SET mark = excluded.mark`);
    this.releaseMark = db.prepare('UPDATE seq_marks SET mark = @used WHERE app_id = @app_id AND conv_id = @conv_id AND mark = @last AND @used < @last');
    this.releaseTx = db.transaction((blocks: readonly SeqBlockRelease[]) => {
      for (const b of blocks) this.releaseMark.run({ app_id: b.app_id, conv_id: b.conv_id, last: b.last, used: b.used });
    });
    // In request order, so two requests for one conversation in one call get consecutive blocks.
    this.reserveTx = db.transaction((reqs: readonly SeqBlockRequest[]) => reqs.map(({ appId, convId, size }) => {
      const mark = (this.getMark.get(appId, convId) as number | undefined) ?? 0;
      const first = Math.max(mark, this.lastSeq.get(appId, convId) as number) + 1;
      const last = first + size - 1;
      this.setMark.run(appId, convId, last);
      return { first, last };
    }));
  }

  reserve(reqs: readonly SeqBlockRequest[]): SeqBlock[] {
    return reqs.length ? withoutFsync(this.db, () => this.reserveTx.immediate(reqs)) : [];
  }

  /** Lower each mark still at its block's end to what was used, in one transaction (Store.releaseSeqBlocks). */
  release(blocks: readonly SeqBlockRelease[]): void {
    if (blocks.length) withoutFsync(this.db, () => this.releaseTx.immediate(blocks));
  }
}

/**
 * Store.reserveSeqBlock's queue: reservations asked for in one turn of the
 * event loop share one transaction (the first message of many conversations
 * at once — a notification to 1,000 users — costs one transaction, not one
 * each); each promise resolves once that transaction is committed.
 */
export class SeqMarks {
  private queued: Array<SeqBlockRequest & { resolve: (b: SeqBlock) => void; reject: (err: unknown) => void }> = [];

  constructor(private readonly run: (reqs: readonly SeqBlockRequest[]) => Promise<SeqBlock[]>) {}

  reserveBlock(appId: string, convId: string, size: number): Promise<SeqBlock> {
    const n = Math.floor(size);
    if (!(n >= 1)) return Promise.reject(new RangeError(`reserveSeqBlock: size must be a positive integer, got ${size}`));
    return new Promise<SeqBlock>((resolve, reject) => {
      this.queued.push({ appId, convId, size: n, resolve, reject });
      if (this.queued.length === 1) setImmediate(() => void this.flush());
    });
  }

  /** Reserve every queued request now; resolves when they are answered. */
  async flush(): Promise<void> {
    const batch = this.queued;
    this.queued = [];
    if (batch.length === 0) return;
    try {
      const blocks = await this.run(batch);
      batch.forEach((r, i) => r.resolve(blocks[i]!));
    } catch (err) {
      for (const r of batch) r.reject(err);
    }
  }
}
