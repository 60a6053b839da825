import type Database from 'better-sqlite3';
import type { CommitResult, StoredMessage } from '../store.js';
import { MessageWriter } from './message-writer.js';
import { SearchIndexer, type SearchIndexerOptions } from './search-indexer.js';
import { guard } from './sqlite-errors.js';

/**
 * Where SqliteStore's group commits and the full-text indexing after them
 * run: on its own connection (InlineCommits, below) or on a worker thread
 * (WorkerCommitter). Either way `commit` resolves once the batch is durable,
 * with MessageWriter's result (duplicates with their originals, seq conflicts).
 */
export interface MessageCommits {
  commit(batch: StoredMessage[]): Promise<CommitResult>;
  /** index every message committed so far */
  flushIndex(): Promise<void>;
  /** index what is left and stop; what cannot be indexed now is caught up on the next start */
  close(): Promise<void>;
}

/** Commits on the store's own connection, blocking the event loop for each batch (the default). */
export class InlineCommits implements MessageCommits {
  private readonly writer: MessageWriter;
  private readonly indexer: SearchIndexer;

  constructor(db: Database.Database, indexer: SearchIndexerOptions) {
    this.writer = new MessageWriter(db);
    this.indexer = new SearchIndexer(db, indexer);
  }

  async commit(batch: StoredMessage[]): Promise<CommitResult> {
    const result = this.writer.commit(batch);
    this.indexer.committed();
    return result;
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
