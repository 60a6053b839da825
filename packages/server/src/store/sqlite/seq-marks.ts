import type Database from 'better-sqlite3';

/**
 * The durable seq high-water mark per conversation (Store.reserveSeqBlock).
 * One IMMEDIATE transaction reads max(mark, last stored seq) and writes the
 * new mark, so two handles or processes never get overlapping blocks, and a
 * block never starts at or below a seq committed without a reservation
 * (messages written by a tool or an older build).
 */
export class SeqMarks {
  private readonly getMark: Database.Statement;
  private readonly lastSeq: Database.Statement;
  private readonly setMark: Database.Statement;
  private readonly reserveTx: Database.Transaction<(appId: string, convId: string, size: number) => { first: number; last: number }>;

  constructor(db: Database.Database) {
    this.getMark = db.prepare('SELECT mark FROM seq_marks WHERE app_id = ? AND conv_id = ?').pluck();
    this.lastSeq = db.prepare('SELECT coalesce(max(seq), 0) FROM messages WHERE app_id = ? AND conv_id = ?').pluck();
    this.setMark = db.prepare(`INSERT INTO seq_marks (app_id, conv_id, mark) VALUES (?, ?, ?)
      ON CONFLICT (app_id, conv_id) DO UPDATE SET mark = excluded.mark`);
    this.reserveTx = db.transaction((appId: string, convId: string, size: number) => {
      const mark = (this.getMark.get(appId, convId) as number | undefined) ?? 0;
      const first = Math.max(mark, this.lastSeq.get(appId, convId) as number) + 1;
      const last = first + size - 1;
      this.setMark.run(appId, convId, last);
      return { first, last };
    });
  }

  reserve(appId: string, convId: string, size: number): { first: number; last: number } {
    const n = Math.floor(size);
    if (!(n >= 1)) throw new RangeError(`reserveSeqBlock: size must be a positive integer, got ${size}`);
    return this.reserveTx.immediate(appId, convId, n);
  }
}
