import type Database from 'better-sqlite3';
import { withoutFsync } from './no-fsync.js';

export interface SearchIndexerOptions {
  /** how long after a commit the next indexing pass starts (ms); bounds how stale the index gets under light load */
  delayMs: number;
  /** most messages one pass indexes in one transaction; a bigger backlog continues on the next turn of the event loop */
  batch: number;
}

export const DEFAULT_SEARCH_INDEXER: SearchIndexerOptions = { delayMs: 20, batch: 2000 };

/**
 * Writes the full-text index after the commit instead of inside it.
 *
 * The message commit stores each searchable message with its `fts_id` (a
 * number that only grows) and its folded `search_text`; this class feeds the
 * committed rows past the index's high-water mark into the FTS5 trigram index
 * in larger transactions, `delayMs` after a commit. FTS5 pays per transaction
 * for writing a segment (and merging segments later), so a few big index
 * transactions cost much less than one per group commit, and the commit the
 * sender waits for no longer carries that work.
 *
 * Guarantees:
 * - Crash-safe without a mark of its own: the mark is the highest rowid in
 *   the index (`message_fts_docsize`, written in the same transaction as the
 *   index rows, and read inside it), and rows are indexed in `fts_id` order,
 *   so after a crash or a restart `catchUp()` continues exactly above what is
 *   indexed, and two stores on one file never index a row twice.
 * - Search stays exact: `mark()` tells the searcher where the index ends, and
 *   it scans the committed rows above the mark (a few thousand at most) with
 *   the same folded match, so a message is found as soon as it is committed.
 * - A pass runs within `delayMs` of a commit; a backlog is indexed `batch`
 *   rows per event-loop turn, so the index itself lags by at most `delayMs`
 *   plus the backlog ÷ the indexing rate.
 *
 * The index transaction runs with synchronous=NORMAL: it needs no fsync of
 * its own, since the next message commit (FULL) syncs the WAL it sits in, and
 * a lost index transaction is redone from the messages on restart.
 */
export class SearchIndexer {
  private readonly next: Database.Statement;
  private readonly insertFts: Database.Statement;
  private readonly markStmt: Database.Statement;
  private readonly indexTx: Database.Transaction<(batch: number) => number>;
  private indexed = 0;
  private timer: NodeJS.Timeout | NodeJS.Immediate | null = null;
  private closed = false;

  /** `beforeWrite`: called before each index transaction (the commit worker lets a waiting main-connection write go first) */
  constructor(
    private readonly db: Database.Database,
    private readonly opts: SearchIndexerOptions = DEFAULT_SEARCH_INDEXER,
    private readonly beforeWrite?: () => void,
  ) {
    // search_text is the text folded as the tokenizer folds it, so indexing it gives the same trigrams as the original text.
    this.next = db.prepare(`SELECT fts_id, search_text FROM messages INDEXED BY messages_by_fts_id
      WHERE fts_id > ? AND fts_id IS NOT NULL ORDER BY fts_id LIMIT ?`).raw();
    this.insertFts = db.prepare('INSERT INTO message_fts (rowid, body) VALUES (?, ?)');
    this.markStmt = db.prepare('SELECT coalesce(max(id), 0) FROM message_fts_docsize').pluck();
    // The mark is read inside the write transaction: another connection (a second store
    // on the same file, or a worker) may have indexed since, and no row is indexed twice.
    this.indexTx = db.transaction((batch: number) => {
      const rows = this.next.all(this.markStmt.get(), batch) as [number, string | null][];
      for (const [id, text] of rows) this.insertFts.run(id, text ?? '');
      this.indexed = rows.length ? rows[rows.length - 1][0] : (this.markStmt.get() as number);
      return rows.length;
    });
    this.indexed = this.markStmt.get() as number;
  }

  /** The highest fts_id in the index when this indexer last looked: every searchable message at or below it is indexed. */
  mark(): number {
    return this.indexed;
  }

  /** A commit happened: index it within `delayMs`. */
  committed(): void {
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => this.pass(), this.opts.delayMs);
    this.timer.unref();
  }

  /** Index everything committed so far, now (start-up catch-up, shutdown, flushSearchIndex). */
  catchUp(): void {
    this.cancel();
    while (this.step() > 0) { /* bounded: each step indexes rows that exist and advances the mark */ }
  }

  /** Stop scheduling passes (close). What is not indexed yet is caught up on the next start. */
  stop(): void {
    this.closed = true;
    this.cancel();
  }

  private cancel(): void {
    if (!this.timer) return;
    clearTimeout(this.timer as NodeJS.Timeout);
    clearImmediate(this.timer as NodeJS.Immediate);
    this.timer = null;
  }

  private pass(): void {
    this.timer = null;
    if (this.closed) return;
    let more: boolean;
    try {
      more = this.step() === this.opts.batch;
    } catch {
      // e.g. the file is locked by another connection: search stays exact (it scans above the mark), so try again later
      this.timer = setTimeout(() => this.pass(), this.opts.delayMs * 10);
      this.timer.unref();
      return;
    }
    // A full batch means there may be more: continue on the next turn, letting frames and commits in between.
    if (more && !this.closed) {
      this.timer = setImmediate(() => this.pass());
      this.timer.unref();
    }
  }

  /** One index transaction of up to `batch` rows above the mark; returns how many. */
  private step(): number {
    // Nothing new since this indexer's last look (and no other indexer's rows to catch): skip the write lock.
    if (this.pendingAbove(this.indexed) === 0) return 0;
    this.beforeWrite?.();
    return withoutFsync(this.db, () => this.indexTx.immediate(this.opts.batch));
  }

  private pendingAbove(mark: number): number {
    return (this.next.all(mark, 1) as unknown[]).length;
  }
}
