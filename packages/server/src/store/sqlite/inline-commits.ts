import type Database from 'better-sqlite3';
import type { CommitResult, MessageKey, StoredMessage } from '../store.js';
import { toCommitRow, type CommitRow } from './commit-row.js';
import { OutboxMarks } from './event-outbox.js';
import { MessageWriter, type RowCommitResult } from './message-writer.js';
import { SearchIndexer, type SearchIndexerOptions } from './search-indexer.js';
import { SeqMarkWriter, type SeqBlock, type SeqBlockRelease, type SeqBlockRequest } from './seq-marks.js';
import { guard } from './sqlite-errors.js';
import { MARK_READ_SQL, type ReadPosition } from './statements.js';

/**
 * Where SqliteStore's writes of the send path run: the group commits and the
 * full-text indexing after them, the seq reservations and the outbox marks.
 * On the store's own connection (InlineCommits, below) or on a worker thread
 * with its own connection (WorkerCommitter). Keeping them on one connection
 * means they never wait for each other's write lock. `commit` resolves once
 * the batch is durable, with MessageWriter's result (duplicates with their
 * originals, seq conflicts); calls are carried out in the order they are made.
 */
export interface MessageCommits {
  commit(batch: StoredMessage[]): Promise<CommitResult>;
  /** SeqMarkWriter.reserve: one block per request, in request order */
  reserveSeqBlocks(reqs: readonly SeqBlockRequest[]): Promise<SeqBlock[]>;
  releaseSeqBlocks(blocks: readonly SeqBlockRelease[]): Promise<void>;
  /** remove the outbox rows of these messages */
  markPublished(keys: readonly MessageKey[]): Promise<void>;
  /** MARK_READ_SQL: the new read_seq, or undefined if the user is not a member */
  markRead(q: ReadPosition): Promise<number | undefined>;
  /** index every message committed so far */
  flushIndex(): Promise<void>;
  /** index what is left and stop; what cannot be indexed now is caught up on the next start */
  close(): Promise<void>;
}

/**
 * The send path's writes on one connection, synchronous: what InlineCommits
 * runs on the store's connection and the commit worker on its own. Store
 * errors come out as StoreError (guard); `beforeIndexWrite` runs before each
 * index transaction (the worker lets a waiting main-connection write go first).
 */
export class SendPathWrites {
  private readonly writer: MessageWriter;
  private readonly indexer: SearchIndexer;
  private readonly seqMarks: SeqMarkWriter;
  private readonly outboxMarks: OutboxMarks;
  private readonly markReadStmt: Database.Statement;

  constructor(db: Database.Database, indexer: SearchIndexerOptions, beforeIndexWrite?: () => void) {
    this.markReadStmt = db.prepare(MARK_READ_SQL).pluck();
    this.writer = new MessageWriter(db);
    this.indexer = new SearchIndexer(db, indexer, beforeIndexWrite);
    this.seqMarks = new SeqMarkWriter(db);
    this.outboxMarks = new OutboxMarks(db);
  }

  /** one transaction for the rows (MessageWriter), then an index pass within the indexer's delay */
  commit(rows: readonly CommitRow[]): RowCommitResult {
    const r = this.writer.commit(rows);
    this.indexer.committed();
    return r;
  }

  reserveSeqBlocks(reqs: readonly SeqBlockRequest[]): SeqBlock[] {
    return guard('reserve seq block', () => this.seqMarks.reserve(reqs));
  }

  releaseSeqBlocks(blocks: readonly SeqBlockRelease[]): void {
    guard('release seq blocks', () => this.seqMarks.release(blocks));
  }

  markPublished(keys: readonly MessageKey[]): void {
    guard('mark events published', () => this.outboxMarks.markPublished(keys));
  }

  markRead(q: ReadPosition): number | undefined {
    return guard('mark read', () => this.markReadStmt.get(q) as number | undefined);
  }

  flushIndex(): void {
    guard('index messages', () => this.indexer.catchUp());
  }

  /** index what is left and stop indexing */
  close(): void {
    try {
      this.indexer.catchUp();
    } finally {
      this.indexer.stop();
    }
  }
}

/** Runs them on the store's own connection, blocking the event loop for each (the default). */
export class InlineCommits implements MessageCommits {
  private readonly w: SendPathWrites;

  constructor(db: Database.Database, indexer: SearchIndexerOptions) {
    this.w = new SendPathWrites(db, indexer);
  }

  async commit(batch: StoredMessage[]): Promise<CommitResult> {
    const r = this.w.commit(batch.map(toCommitRow));
    return { duplicates: r.duplicates, conflicts: r.conflicts.map((i) => batch[i]!), not_members: r.not_members.map((i) => batch[i]!) };
  }

  async reserveSeqBlocks(reqs: readonly SeqBlockRequest[]): Promise<SeqBlock[]> {
    return this.w.reserveSeqBlocks(reqs);
  }

  async releaseSeqBlocks(blocks: readonly SeqBlockRelease[]): Promise<void> {
    this.w.releaseSeqBlocks(blocks);
  }

  async markPublished(keys: readonly MessageKey[]): Promise<void> {
    this.w.markPublished(keys);
  }

  async markRead(q: ReadPosition): Promise<number | undefined> {
    return this.w.markRead(q);
  }

  async flushIndex(): Promise<void> {
    this.w.flushIndex();
  }

  async close(): Promise<void> {
    this.w.close();
  }
}
