import Database from 'better-sqlite3';
import type { SearchIndexerOptions } from './search-indexer.js';
import { createPrivateFile } from './private-file.js';

export interface SqliteStoreOptions {
  /** database file; ':memory:' for a throwaway store (no WAL) */
  path: string;
  /** how long a write waits for another connection's lock before failing `unavailable` (default 5000 ms) */
  busyTimeoutMs?: number;
  /** clock for rows the interface gives no time for (delete-for-me, schema_version); default Date.now */
  now?: () => number;
  /**
   * largest search scope (messages in the caller's conversations, or the one
   * filtered on) answered by scanning it instead of the full-text index
   * (default 50,000); 0 sends every query of 3+ characters over a non-empty scope to the index
   */
  searchScanMaxMessages?: number;
  /** when the full-text index is written after commits (default: 20 ms after, 2,000 messages per transaction) */
  searchIndexer?: SearchIndexerOptions;
  /**
   * run group commits, the indexing after them, seq reservations and outbox marks on a
   * worker thread with its own connection, so the event loop is not held for them, and
   * WAL checkpoints on a thread of their own (default false here; the platform's
   * `sqlite_commit` option defaults to it; ignored for ':memory:', which cannot be
   * shared with another connection)
   */
  commitOnWorker?: boolean;
  /** with commitOnWorker: how often the checkpoint worker copies the WAL back (ms, default 100) */
  walCheckpointMs?: number;
}

/** What the connection actually runs with (for diagnostics and tests). */
export interface SqlitePragmas {
  journal_mode: string;
  /** 0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA */
  synchronous: number;
  busy_timeout: number;
  foreign_keys: number;
}

/**
 * The store's own connection: WAL, synchronous=FULL (an acked message is on
 * disk), the busy timeout, foreign keys off (none are declared, see
 * migrations.ts), and a bounded ANALYZE for `PRAGMA optimize` at close.
 */
export function openDatabase(path: string, busyTimeoutMs: number): Database.Database {
  createPrivateFile(path);
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma(`busy_timeout = ${busyTimeoutMs}`);
    db.pragma('foreign_keys = OFF');
    db.pragma('analysis_limit = 400');
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}
