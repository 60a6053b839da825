import type Database from 'better-sqlite3';
import type { CommitResult, MessageKey, StoredMessage } from '../store.js';
import { toCommitRow } from './commit-row.js';
import { OutboxMarks } from './event-outbox.js';
import { MessageWriter } from './message-writer.js';
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

/** Runs them on the store's own connection, blocking the event loop for each (the default). */
export class InlineCommits implements MessageCommits {
  private readonly writer: MessageWriter;
  private readonly indexer: SearchIndexer;
  private readonly seqMarks: SeqMarkWriter;
  private readonly outboxMarks: OutboxMarks;
  private readonly markReadStmt: Database.Statement;

  constructor(db: Database.Database, indexer: SearchIndexerOptions) {
    this.markReadStmt = db.prepare(MARK_READ_SQL).pluck();
    this.writer = new MessageWriter(db);
    this.indexer = new SearchIndexer(db, indexer);
    this.seqMarks = new SeqMarkWriter(db);
    this.outboxMarks = new OutboxMarks(db);
  }

  async commit(batch: StoredMessage[]): Promise<CommitResult> {
    const r = this.writer.commit(batch.map(toCommitRow));
    this.indexer.committed();
    return { duplicates: r.duplicates, conflicts: r.conflicts.map((i) => batch[i]!), not_members: r.not_members.map((i) => batch[i]!) };
  }

  async reserveSeqBlocks(reqs: readonly SeqBlockRequest[]): Promise<SeqBlock[]> {
    return guard('reserve seq block', () => this.seqMarks.reserve(reqs));
  }

  async releaseSeqBlocks(blocks: readonly SeqBlockRelease[]): Promise<void> {
    guard('release seq blocks', () => this.seqMarks.release(blocks));
  }

  async markPublished(keys: readonly MessageKey[]): Promise<void> {
    guard('mark events published', () => this.outboxMarks.markPublished(keys));
  }

  async markRead(q: ReadPosition): Promise<number | undefined> {
    return guard('mark read', () => this.markReadStmt.get(q) as number | undefined);
  }

  async flushIndex(): Promise<void> {
    guard('index messages', () => this.indexer.catchUp());
  }

  async close(): Promise<void> {
    try {
      this.indexer.catchUp();
    } finally {
      this.indexer.stop();
    }
  }
}
